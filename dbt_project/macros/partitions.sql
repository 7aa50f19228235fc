{#- The partitions a run was asked for (models tagged partition_daily, partition_monthly,
    partition_exam). Dagster passes them as JSON in the environment variable
    EDUHOUSE_DBT_PARTITIONS, read only at execution: a changed --vars makes dbt re-parse
    the whole project (~5 s a run), an environment variable read at run time does not.
    The same keys work as --vars for a hand-run `dbt build`:

      partition_dates:  {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}  (inclusive, local)
      partition_months: {"start": "YYYY-MM", "end": "YYYY-MM"}        (inclusive)
      partition_exams:  ["<exam_id>", ...]
      rebuild:          true = replace those partitions from all upstream data

    Each returns a list, or none when not requested (a plain `dbt build`: models then
    work out what changed themselves). -#}
{% macro partition_setting(name) -%}
  {%- if var(name, none) is not none -%}{{ return(var(name)) }}{%- endif -%}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- set raw = env_var('EDUHOUSE_DBT_PARTITIONS', '') -%}
  {{ return((fromjson(raw) if raw else {}).get(name)) }}
{%- endmacro %}

{% macro partition_dates() -%}
  {%- set window = partition_setting('partition_dates') -%}
  {%- if not window -%}{{ return(none) }}{%- endif -%}
  {%- set start = modules.datetime.date.fromisoformat(window['start'] | string) -%}
  {%- set end = modules.datetime.date.fromisoformat(window['end'] | string) -%}
  {%- set out = [] -%}
  {%- for i in range((end - start).days + 1) -%}
    {%- do out.append((start + modules.datetime.timedelta(days=i)).isoformat()) -%}
  {%- endfor -%}
  {{ return(out) }}
{%- endmacro %}

{% macro partition_months() -%}
  {%- set window = partition_setting('partition_months') -%}
  {%- if not window -%}{{ return(none) }}{%- endif -%}
  {%- set y0, m0 = (window['start'] | string)[:7].split('-') | map('int') | list -%}
  {%- set y1, m1 = (window['end'] | string)[:7].split('-') | map('int') | list -%}
  {%- set out = [] -%}
  {%- for i in range((y1 * 12 + m1) - (y0 * 12 + m0) + 1) -%}
    {%- set n = y0 * 12 + (m0 - 1) + i -%}
    {%- do out.append('%04d-%02d' % ((n // 12), (n % 12) + 1)) -%}
  {%- endfor -%}
  {{ return(out) }}
{%- endmacro %}

{% macro partition_exams() -%}
  {%- set exams = partition_setting('partition_exams') -%}
  {%- if exams is none -%}{{ return(none) }}{%- endif -%}
  {%- if exams is string -%}{%- set exams = [exams] -%}{%- endif -%}
  {{ return(exams | map('string') | list) }}
{%- endmacro %}

{% macro rebuild_partitions() -%}
  {{ return(partition_setting('rebuild') in [true, 'true', 'True', 1, '1']) }}
{%- endmacro %}

{#- SQL: `col in ('a', 'b')`, or `false` for an empty list. -#}
{% macro in_list(col, values, cast=none) -%}
  {%- if values | length == 0 -%}false{%- else -%}
  {{ col }} in ({%- for v in values -%}{{ "cast(" if cast }}'{{ v | replace("'", "''") }}'{{ " as " ~ cast ~ ")" if cast }}{{ ", " if not loop.last }}{%- endfor -%})
  {%- endif -%}
{%- endmacro %}

{#- A partitioned model's scope as a SQL predicate on its partition column: the requested
    partitions, or `true` (every partition) on a full build or when none were requested. -#}
{% macro partition_scope(col, values, cast=none) -%}
  {%- if values is none or this is none or not is_incremental() -%}true{%- else -%}{{ in_list(col, values, cast) }}{%- endif -%}
{%- endmacro %}
