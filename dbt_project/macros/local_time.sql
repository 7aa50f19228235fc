{#- Days and months are the district's (dbt var timezone), never UTC's:
    2021-09-30T16:30:00Z is 2021-10-01 in Asia/Shanghai. Each macro has a DuckDB and a
    Spark spelling (adapter.dispatch); the Spark one never relies on the session's time
    zone being the district's. -#}
{% macro local_timestamp(ts_col) -%}{{ return(adapter.dispatch('local_timestamp')(ts_col)) }}{%- endmacro %}

{% macro default__local_timestamp(ts_col) -%}
timezone('{{ var("timezone") }}', {{ ts_col }})
{%- endmacro %}

{#- An instant (TIMESTAMP, Spark's local-time-zone type) as the district's wall clock
    (TIMESTAMP_NTZ): Spark casts in the session zone, then moves session → district. -#}
{% macro spark__local_timestamp(ts_col) -%}
convert_timezone(current_timezone(), '{{ var("timezone") }}', cast({{ ts_col }} as timestamp_ntz))
{%- endmacro %}

{% macro local_date(ts_col) -%}
cast({{ local_timestamp(ts_col) }} as date)
{%- endmacro %}

{% macro month_of(date_col) -%}{{ return(adapter.dispatch('month_of')(date_col)) }}{%- endmacro %}

{% macro default__month_of(date_col) -%}
strftime({{ date_col }}, '%Y-%m')
{%- endmacro %}

{% macro spark__month_of(date_col) -%}
date_format({{ date_col }}, 'yyyy-MM')
{%- endmacro %}

{% macro today_local() -%}
cast({{ local_timestamp('current_timestamp') }} as date)
{%- endmacro %}

{#- The day a model means by "now": var reference_date (EDUHOUSE_REFERENCE_DATE) when
    set, else today in the district. Who is in which class, who is under 14, and which
    screening or test is a student's latest (one dated later has not happened yet). -#}
{% macro reference_day() -%}
{%- if var('reference_date') -%}cast('{{ var('reference_date') }}' as date){%- else -%}{{ today_local() }}{%- endif -%}
{%- endmacro %}

{#- The inverse: a district wall-clock time (a timestamp without zone) as an instant. -#}
{% macro from_local_timestamp(ts_col) -%}{{ return(adapter.dispatch('from_local_timestamp')(ts_col)) }}{%- endmacro %}

{% macro default__from_local_timestamp(ts_col) -%}
timezone('{{ var("timezone") }}', {{ ts_col }})
{%- endmacro %}

{% macro spark__from_local_timestamp(ts_col) -%}
cast(convert_timezone('{{ var("timezone") }}', current_timezone(), cast({{ ts_col }} as timestamp_ntz)) as timestamp)
{%- endmacro %}
