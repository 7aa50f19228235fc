{#- Read a bronze table in place, typed to its contract.

    Returns a parenthesised SELECT usable after FROM. At run time it lists the table's
    Parquet files with DuckDB glob(): when there are none (a source not delivered yet)
    it returns a typed zero-row SELECT, so the whole project still builds. Contract
    columns a delivery lacks come back as typed NULLs; `_extra` (columns beyond the
    contract, as JSON text) is always present.

    Also calls source() so the manifest (and so Dagster) shows bronze -> staging.

    files: an explicit list of Parquet files (incremental models pass the files of the
    local dates they rebuild); default = every file of the table. -#}
{% macro bronze_glob(source_name, table_name) -%}
{{ var('lake_root') }}/bronze/{{ source_name }}/{{ table_name }}/**/*.parquet
{%- endmacro %}

{% macro bronze_files(source_name, table_name) -%}
  {{- return(adapter.dispatch('bronze_files')(source_name, table_name)) -}}
{%- endmacro %}

{% macro default__bronze_files(source_name, table_name) -%}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- set res = run_query("select file from glob('" ~ bronze_glob(source_name, table_name) ~ "') order by file") -%}
  {{ return(res.columns[0].values() | list) }}
{%- endmacro %}

{% macro sql_string_list(values) -%}
[{%- for v in values -%}'{{ v | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%}]
{%- endmacro %}

{% macro bronze_relation(source_name, table_name, columns=none, files=none) -%}
  {{- return(adapter.dispatch('bronze_relation')(source_name, table_name, columns, files)) -}}
{%- endmacro %}

{#- DuckDB reads the Parquet files in place with read_parquet. -#}
{% macro default__bronze_relation(source_name, table_name, columns, files) -%}
  {%- set _lineage = source(source_name, table_name) -%}
  {%- set cols = (columns if columns is not none else bronze_columns(source_name, table_name)) + [('_extra', 'VARCHAR')] -%}
  {%- set file_list = (files if files is not none else bronze_files(source_name, table_name)) if execute else [] -%}
  {%- set present = {} -%}
  {%- if file_list | length > 0 -%}
    {%- set reader -%}
      read_parquet({{ sql_string_list(file_list) }}, union_by_name = true, hive_partitioning = false)
    {%- endset -%}
    {%- set described = run_query("describe select * from " ~ reader) -%}
    {%- for row in described.rows -%}{%- do present.update({row[0]: row[1]}) -%}{%- endfor -%}
  {%- endif -%}
  {%- if file_list | length > 0 -%}
(select
    {%- for name, dtype in cols %}
    {% if name in present %}cast("{{ name }}" as {{ dtype }}){% else %}cast(null as {{ dtype }}){% endif %} as "{{ name }}"{{ "," if not loop.last }}
    {%- endfor %}
 from {{ reader }})
  {%- else -%}
(select
    {%- for name, dtype in cols %}
    cast(null as {{ dtype }}) as "{{ name }}"{{ "," if not loop.last }}
    {%- endfor %}
 where false)
  {%- endif -%}
{%- endmacro %}
