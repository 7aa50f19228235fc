-- Data kept beyond its category's retention period at the audit date: access logs,
-- psych screenings, fitness results and the learning logs (xAPI statements); retention
-- days from the policy. The learning logs are read only before their cut-off date, which
-- the statements' dates let DuckDB skip to (no lake keeps a statement five years yet).
with params as (
    select * from {{ ref('int_governance__audit_params') }}
),

retention as (
    select * from {{ ref('int_governance__retention') }}
),

overdue as (
    select 'access_log' as data_category, local_date as kept_date, event_id as item_id
    from {{ ref('stg_access__events') }}
    union all
    select 'sensitive_psych', screen_date, null from {{ ref('stg_psych__psych_screenings') }}
    union all
    select 'sensitive_health', test_date, null from {{ ref('stg_fitness__fitness_results') }}
    union all
    select 'learning', local_date, null from {{ ref('stg_xapi__statements') }}
    where local_date < (
        select p.audit_date - r.retention_days from params as p
        inner join retention as r on r.data_category = 'learning'
    )
)

select
    'retention_overdue' as check_name,
    cast(null as string) as principal_id,
    cast(null as string) as grant_id,
    coalesce(array_sort(array_agg(distinct o.item_id) filter (where o.item_id is not null)), {{ fn('list_value') }}()) as event_ids,
    count(*) || ' ' || o.data_category || ' record(s) older than ' || any_value(r.retention_days)
        || ' days (oldest ' || {{ format_time("min(o.kept_date)", '%Y-%m-%d') }} || ')' as evidence,
    cast(min(o.kept_date) as {{ type_timestamptz() }}) as first_seen,
    cast(max(o.kept_date) as {{ type_timestamptz() }}) as last_seen,
    o.data_category as finding_key
from overdue as o
inner join retention as r on r.data_category = o.data_category
cross join params as p
where o.kept_date < p.audit_date - r.retention_days
group by o.data_category
