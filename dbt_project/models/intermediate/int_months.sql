{{ partitioned_by_month() }}
{%- set months = partition_months() %}
{%- set incremental_months = months is not none and is_incremental() %}
-- The reporting months: every local month from the first to the last day with platform
-- activity (months in between with no activity are kept, so they show zeros). A monthly
-- partition run adds exactly the months it was asked for. data_through is the month's
-- last local day with a learning-log statement: a month in progress (or one whose last
-- days are not delivered yet) is counted only that far, and the reports say so.
with last_days as (
    select month, max(local_date) as data_through
    from {{ ref('stg_xapi__statements') }}
    where {{ partition_scope('month', months) }}
    group by month
),

{%- if incremental_months %}

requested as (
    select ms.m as month, cast(ms.m || '-01' as date) as month_start
    from (select {{ fn('unnest') }}({{ fn('list_value') }}({{ sql_string_list(months)[1:-1] }})) as m) as ms
)
{%- else %}

bounds as (
    select
        date_trunc('month', min(local_date)) as first_month,
        date_trunc('month', max(local_date)) as last_month
    from {{ ref('stg_xapi__statements') }}
),

requested as (
    select {{ month_of('cast(g.month_start as date)') }} as month, cast(g.month_start as date) as month_start
    from (
        select {{ fn('unnest') }}({{ fn('generate_series') }}(
            cast(first_month as date), cast(last_month as date), interval 1 month)) as month_start
        from bounds
        where first_month is not null
    ) as g
)
{%- endif %}

select
    r.month,
    r.month_start,
    cast(last_day(r.month_start) as date) as month_end,
    cast(d.data_through as date) as data_through
from requested as r
left join last_days as d on d.month = r.month
