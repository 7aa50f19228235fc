{#- The config of a partitioned model, in one place (called at the top of the model).
    Each model replaces the partitions a run asks for (macros/partitions.sql); its tag
    puts it in the matching Dagster asset definition. -#}
{% macro partitioned_by_exam(export=false) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='exam_id',
    on_schema_change='append_new_columns',
    tags=['partition_exam'],
    pre_hook="{{ replace_partitions('exam_id', 'exam', always=true) }}",
    post_hook=(["{{ export_parquet() }}"] if export else [])
) }}
{%- endmacro %}

{% macro partitioned_by_month(export=false) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='month',
    on_schema_change='append_new_columns',
    tags=['partition_monthly'],
    pre_hook="{{ replace_partitions('month', 'monthly', always=true) }}",
    post_hook=(["{{ export_parquet() }}"] if export else [])
) }}
{%- endmacro %}

{#- Daily models replace a requested date only with `rebuild`; otherwise they merge the
    groups they recompute (unique_key). -#}
{% macro partitioned_by_day(unique_key) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=unique_key,
    on_schema_change='append_new_columns',
    tags=['partition_daily'],
    pre_hook="{{ replace_partitions('local_date', 'daily') }}"
) }}
{%- endmacro %}
