{{ partitioned_by_month() }}
{%- set months = partition_months() %}
-- Linze's platform-use table (seed 004) as published: int_platform_use_monthly with its
-- small cells suppressed the way usage_monthly's are (macro org_rollup_suppression: a
-- district row is the total of its schools' rows, a city row of its districts', within
-- one month, population and segment).
with platform as (
    select * from {{ ref('int_platform_use_monthly') }}
    where {{ partition_scope('month', months) }}
),

{{ org_rollup_suppression('platform', ['month', 'population', 'segment'], 'on_roster') }}

select
    {{ org_row_keys('k') }},
    {%- for measure, type in [('on_roster', 'bigint'), ('registered', 'bigint'), ('registration_rate', 'double'),
                              ('active_users', 'bigint'), ('active_rate', 'double'), ('page_views', 'bigint'),
                              ('homework_published', 'bigint'), ('checkins_published', 'bigint'),
                              ('checkins_done', 'bigint'), ('evaluations_published', 'bigint'),
                              ('training_hours', 'double')] %}
    cast({{ unless_suppressed('k.' ~ measure, 's.suppressed') }} as {{ type }}) as {{ measure }},
    {%- endfor %}
    cast(s.suppressed as boolean) as suppressed
from keyed as k
inner join suppression as s on s.cell_id = k.cell_id
order by month, org_type, org_sourced_id, segment, population
