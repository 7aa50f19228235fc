{#- A staging model over a bronze source whose files only ever arrive (the access log):
    each run appends the rows of the bronze files it has not read yet (the catch-up of
    incremental_bronze_files, macros/incremental_dates.sql), so a new day costs that
    day's deliveries, not the whole log again.

    When a file it has read is gone from the lake (retention deletes expired days), the
    run reads every file instead and the pre-hook empties the table first: nothing that
    expired stays in the warehouse, and what is numbered over the whole history (the
    occurrence of an event id) is what a full build gives.

    On Spark (plain Parquet tables, no DELETE) such a model is rebuilt whole every run. -#}
{% macro appended_from_bronze(source_name, table_name) -%}
{{ adapter.dispatch('appended_from_bronze')(source_name, table_name) }}
{%- endmacro %}

{% macro default__appended_from_bronze(source_name, table_name) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='append_new_columns',
    pre_hook="{{ empty_if_bronze_files_gone('" ~ source_name ~ "', '" ~ table_name ~ "') }}"
) }}
{%- endmacro %}

{% macro spark__appended_from_bronze(source_name, table_name) -%}
{{ config(materialized='table') }}
{%- endmacro %}

{#- The (local date / delivery) files the model has rows of that the lake no longer holds. -#}
{% macro bronze_files_gone(source_name, table_name) -%}
  {%- if not execute or not is_incremental() -%}{{ return([]) }}{%- endif -%}
  {%- set listed = bronze_files_to_read(source_name, table_name)['keys'] -%}
  {{ return(bronze_files_read() | reject('none') | reject('in', listed) | list) }}
{%- endmacro %}

{% macro empty_if_bronze_files_gone(source_name, table_name) -%}
  {%- if bronze_files_gone(source_name, table_name) -%}
    delete from {{ this }}
  {%- endif -%}
{%- endmacro %}

{#- The bronze files this run reads ({'files': list, or none for all}) and whether the
    table already holds rows (`appending`: numbering continues from them). -#}
{% macro appended_bronze_files(source_name, table_name) -%}
  {%- if not execute or not is_incremental() -%}{{ return({'files': none, 'appending': false}) }}{%- endif -%}
  {%- set gone = bronze_files_gone(source_name, table_name) -%}
  {%- if gone -%}
    {{ log("appended " ~ source_name ~ "." ~ table_name ~ ": " ~ (gone | length)
           ~ " file(s) read before are gone (retention); reading every file again", info=true) }}
    {{ return({'files': none, 'appending': false}) }}
  {%- endif -%}
  {{ return({'files': incremental_bronze_files(source_name, table_name)['files'], 'appending': true}) }}
{%- endmacro %}
