{{ partitioned_by_month() }}
{%- set months = partition_months() %}
-- The reporting months: every local month from the first to the last day with platform
-- activity (months in between with no activity are kept, so they show zeros). A monthly
-- partition run adds exactly the months it was asked for.
{%- if months is not none and is_incremental() %}
select
    m as month,
    cast(strptime(m || '-01', '%Y-%m-%d') as date) as month_start,
    cast(last_day(strptime(m || '-01', '%Y-%m-%d')) as date) as month_end
from (select unnest({{ sql_string_list(months) }}) as m)
{%- else %}
with bounds as (
    select
        date_trunc('month', min(local_date)) as first_month,
        date_trunc('month', max(local_date)) as last_month
    from {{ ref('stg_xapi__statements') }}
)

select
    strftime(cast(m.month_start as date), '%Y-%m') as month,
    cast(m.month_start as date) as month_start,
    cast(last_day(m.month_start) as date) as month_end
from bounds,
    lateral (select unnest(generate_series(first_month, last_month, interval 1 month)) as month_start) as m
where first_month is not null
{%- endif %}
