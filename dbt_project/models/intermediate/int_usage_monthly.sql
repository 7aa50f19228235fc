{{ partitioned_by_month() }}
{%- set months = partition_months() %}
-- Monthly platform usage (seed 000's publication) per org (school, district, city) x
-- segment x population. Rows come from the roster (who was enrolled in the month), with
-- activity left-joined, so a school where nobody logged in shows 0 and 0 %, not nothing.
-- District and city rows count distinct people across their schools (never sums of rates).
-- Monthly-partitioned in Dagster: a run recomputes the requested months whole (all on a
-- full build or without partition_months).
-- depends_on: {{ ref('int_roster_monthly') }}
with {{ org_roster_people(months) }},

activity as (
    select person_sourced_id, month, sum(logins) as logins, sum(resources_viewed) as resources_viewed
    from {{ ref('int_activity_daily') }}
    where {{ partition_scope('month', months) }}
    group by person_sourced_id, month
),

counted as (
    select
        p.month,
        p.org_sourced_id,
        p.org_type,
        p.segment,
        p.population,
        count(*) as on_roster,
        count(*) filter (where a.logins > 0) as online,
        coalesce(sum(a.logins), 0) as logins,
        count(*) filter (where a.resources_viewed > 0) as resource_viewers
    from org_people as p
    left join activity as a
        on a.person_sourced_id = p.person_sourced_id and a.month = p.month
    group by p.month, p.org_sourced_id, p.org_type, p.segment, p.population
)

select
    {{ org_row_keys('c', 'o') }},
    cast(c.on_roster as bigint) as on_roster,
    cast(c.online as bigint) as online,
    {{ ratio_or_zero('c.online', 'c.on_roster') }} as online_rate,
    cast(c.logins as bigint) as logins,
    {{ ratio_or_zero('c.logins', 'c.online') }} as logins_per_online,
    cast(c.resource_viewers as bigint) as resource_viewers,
    {{ ratio_or_zero('c.resource_viewers', 'c.on_roster') }} as resource_view_rate
from counted as c
left join {{ ref('int_orgs') }} as o on o.org_sourced_id = c.org_sourced_id
order by month, org_type, org_sourced_id, segment, population
