{{ partitioned_by_month() }}
{%- set months = partition_months() %}
-- The reporting months: every local month from the first to the last day with platform
-- activity (months in between with no activity are kept, so they show zeros). A monthly
-- partition run adds exactly the months it was asked for.
{%- if months is not none and is_incremental() %}
select
    m as month,
    cast(m || '-01' as date) as month_start,
    cast(last_day(cast(m || '-01' as date)) as date) as month_end
from (select {{ fn('unnest') }}({{ fn('list_value') }}({{ sql_string_list(months)[1:-1] }})) as m) as ms
{%- else %}
with bounds as (
    select
        date_trunc('month', min(local_date)) as first_month,
        date_trunc('month', max(local_date)) as last_month
    from {{ ref('stg_xapi__statements') }}
)

select
    {{ month_of('cast(m.month_start as date)') }} as month,
    cast(m.month_start as date) as month_start,
    cast(last_day(cast(m.month_start as date)) as date) as month_end
from (
    select {{ fn('unnest') }}({{ fn('generate_series') }}(
        cast(first_month as date), cast(last_month as date), interval 1 month)) as month_start
    from bounds
    where first_month is not null
) as m
{%- endif %}
