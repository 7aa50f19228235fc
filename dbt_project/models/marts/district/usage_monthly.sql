{{ partitioned_by_month() }}
{%- set months = partition_months() %}
-- The published monthly usage table (seed 000): int_usage_monthly with its small cells
-- suppressed in SQL (macro suppress_small_cells), so the publication, the reports and the
-- API all show the same figures and hide the same ones. Lines: a district row is the
-- total of its schools' rows, a city row of its districts' (and directly attached
-- schools'), within one month, population and segment. data_through says how far the
-- month's learning logs go (a month in progress is not a whole month).
with usage as (
    select * from {{ ref('int_usage_monthly') }}
    where {{ partition_scope('month', months) }}
),

{{ org_rollup_suppression('usage', ['month', 'population', 'segment'], 'on_roster') }}

select
    {{ org_row_keys('k') }},
    cast({{ unless_suppressed('k.on_roster', 's.suppressed') }} as bigint) as on_roster,
    cast({{ unless_suppressed('k.online', 's.suppressed') }} as bigint) as online,
    cast({{ unless_suppressed('k.online_rate', 's.suppressed') }} as double) as online_rate,
    cast({{ unless_suppressed('k.logins', 's.suppressed') }} as bigint) as logins,
    cast({{ unless_suppressed('k.logins_per_online', 's.suppressed') }} as double) as logins_per_online,
    cast({{ unless_suppressed('k.resource_viewers', 's.suppressed') }} as bigint) as resource_viewers,
    cast({{ unless_suppressed('k.resource_view_rate', 's.suppressed') }} as double) as resource_view_rate,
    cast(s.suppressed as boolean) as suppressed,
    cast(m.data_through as date) as data_through
from keyed as k
inner join suppression as s on s.cell_id = k.cell_id
left join {{ ref('int_months') }} as m on m.month = k.month
order by month, org_type, org_sourced_id, segment, population
