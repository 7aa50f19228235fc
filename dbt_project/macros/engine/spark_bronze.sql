{#- Bronze on Spark. Each bronze table is registered in the metastore as an external
    Parquet table over its lake folder (<lake>/bronze/<source>/<table>), declared with the
    contract's columns and read recursively, so it is the very table source() names and a
    source not delivered yet is an empty table, not a missing path. `refresh table` makes a
    run see the files landed since the last one. A delivery's columns beyond the contract
    are not in the table (they are in `_extra`), and a column a file lacks reads as NULL. -#}
{% macro spark__bronze_table(source_name, table_name, columns) -%}
  {%- set relation = source(source_name, table_name) -%}
  {%- if execute -%}
    {%- set cols = columns + [('_extra', 'VARCHAR')] -%}
    {%- call statement('bronze_schema', fetch_result=false) -%}
      create schema if not exists {{ relation.schema }}
    {%- endcall -%}
    {%- call statement('bronze_table', fetch_result=false) -%}
      create table if not exists {{ relation }} (
        {%- for name, dtype in cols %}
        {{ adapter.quote(name) }} {{ sql_type(dtype) }}{{ "," if not loop.last }}
        {%- endfor %}
      ) using parquet
      options (recursiveFileLookup 'true', pathGlobFilter '*.parquet')
      location '{{ var('lake_root') }}/bronze/{{ source_name }}/{{ table_name }}'
    {%- endcall -%}
    {%- call statement('bronze_refresh', fetch_result=false) -%}
      refresh table {{ relation }}
    {%- endcall -%}
  {%- endif -%}
  {{ return(relation) }}
{%- endmacro %}

{% macro spark__bronze_relation(source_name, table_name, columns, files) -%}
  {%- set cols = (columns if columns is not none else bronze_columns(source_name, table_name)) + [('_extra', 'VARCHAR')] -%}
  {%- set relation = spark__bronze_table(source_name, table_name, bronze_columns(source_name, table_name)) -%}
(select
    {%- for name, dtype in cols %}
    {{ adapter.quote(name) }}{{ "," if not loop.last }}
    {%- endfor %}
 from {{ relation }}
 {%- if files is not none %}
 where {{ spark_file_filter(files) }}
 {%- endif %})
{%- endmacro %}

{#- The files of a bronze table, as the paths Spark reports (file: URIs). -#}
{% macro spark__bronze_files(source_name, table_name) -%}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- set relation = spark__bronze_table(source_name, table_name, bronze_columns(source_name, table_name)) -%}
  {%- set res = run_query("select distinct _metadata.file_path from " ~ relation ~ " order by 1") -%}
  {{ return(res.columns[0].values() | list) }}
{%- endmacro %}

{% macro spark_file_filter(files) -%}
  {%- if files | length == 0 -%}false{%- else -%}
  _metadata.file_path in ({%- for f in files -%}'{{ f | replace("'", "''") }}'{{ ", " if not loop.last }}{%- endfor -%})
  {%- endif -%}
{%- endmacro %}
