{#- The config of a partitioned model, in one place (called at the top of the model).
    Each model replaces the partitions a run asks for (macros/partitions.sql); its tag
    puts it in the matching Dagster asset definition. -#}
{% macro partitioned_by_exam() -%}
{{ partitioned_whole('exam_id', 'exam', 'partition_exam') }}
{%- endmacro %}

{% macro partitioned_by_month() -%}
{{ partitioned_whole('month', 'monthly', 'partition_monthly') }}
{%- endmacro %}

{#- Monthly and exam models recompute a requested partition whole: delete it first. -#}
{% macro partitioned_whole(key, kind, tag) -%}
{{ adapter.dispatch('partitioned_whole')(key, kind, tag) }}
{%- endmacro %}

{% macro default__partitioned_whole(key, kind, tag) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=key,
    on_schema_change='append_new_columns',
    tags=[tag],
    pre_hook="{{ replace_partitions('" ~ key ~ "', '" ~ kind ~ "', always=true) }}"
) }}
{%- endmacro %}

{#- Daily models replace a requested date only with `rebuild`; otherwise they merge the
    groups they recompute (unique_key). -#}
{% macro partitioned_by_day(unique_key) -%}
{{ adapter.dispatch('partitioned_by_day')(unique_key) }}
{%- endmacro %}

{% macro default__partitioned_by_day(unique_key) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=unique_key,
    on_schema_change='append_new_columns',
    tags=['partition_daily'],
    pre_hook="{{ replace_partitions('local_date', 'daily') }}"
) }}
{%- endmacro %}

{#- On Spark the lake's tables are plain Parquet in a Hive metastore (no Delta or Iceberg
    jars can be installed offline), which has neither DELETE nor MERGE: a partitioned
    model is rebuilt whole each run, so it computes every partition from all upstream
    data (is_incremental() is false). Its tag still puts it in the matching Dagster
    partitioned asset, so runs, checks and the UI are the same; docs/scaleout.md says
    what this costs and how a table format with MERGE would change it. -#}
{% macro spark__partitioned_whole(key, kind, tag) -%}
{{ config(materialized='table', file_format='parquet', tags=[tag]) }}
{%- endmacro %}

{% macro spark__partitioned_by_day(unique_key) -%}
{{ config(materialized='table', file_format='parquet', tags=['partition_daily']) }}
{%- endmacro %}
