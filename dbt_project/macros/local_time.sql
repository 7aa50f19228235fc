{#- Days and months are the district's (dbt var timezone), never UTC's:
    2021-09-30T16:30:00Z is 2021-10-01 in Asia/Shanghai. -#}
{% macro local_timestamp(ts_col) -%}
timezone('{{ var("timezone") }}', {{ ts_col }})
{%- endmacro %}

{% macro local_date(ts_col) -%}
cast(timezone('{{ var("timezone") }}', {{ ts_col }}) as date)
{%- endmacro %}

{% macro month_of(date_col) -%}
strftime({{ date_col }}, '%Y-%m')
{%- endmacro %}

{% macro today_local() -%}
cast(timezone('{{ var("timezone") }}', current_timestamp) as date)
{%- endmacro %}
