-- The audit's one row of parameters: the audit date (dbt var audit_date, default the
-- latest local date with access events) and the policy thresholds from the seeds.
{%- set audit_date = var('audit_date', '') %}
with settings as (
    select name, value from {{ ref('governance_settings') }}
),

latest as (
    select max(local_date) as max_event_date
    from {{ ref('stg_access__events') }}
)

select
    {% if audit_date %}cast('{{ audit_date }}' as date){% else %}coalesce(l.max_event_date, {{ today_local() }}){% endif %} as audit_date,
    -- "as of the audit date" means at the end of that local day
    {{ from_local_timestamp("cast((" ~ ("cast('" ~ audit_date ~ "' as date)" if audit_date else "coalesce(l.max_event_date, " ~ today_local() ~ ")") ~ ") + 1 as timestamp)") }} as audit_end,
    (select cast(value as integer) from settings where name = 'unused_grant_days') as unused_grant_days,
    (select cast(value as integer) from settings where name = 'denials_per_hour') as denials_per_hour,
    (select cast(value as bigint) from settings where name = 'bulk_min_rows') as bulk_min_rows,
    (select cast(value as double) from settings where name = 'bulk_baseline_factor') as bulk_baseline_factor,
    (select {{ ordered_list('value', 'value') }} from settings where name = 'sensitive_classification') as sensitive_classifications
from latest as l
