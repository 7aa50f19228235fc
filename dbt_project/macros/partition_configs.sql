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
    groups they recompute (unique_key). groups: for a model grouping the xAPI statements,
    its group columns mapped to the statements' (drop_moved_groups). -#}
{% macro partitioned_by_day(unique_key, groups=none) -%}
{{ adapter.dispatch('partitioned_by_day')(unique_key, groups) }}
{%- endmacro %}

{% macro daily_pre_hooks(groups) -%}
  {%- set hooks = ["{{ replace_partitions('local_date', 'daily') }}"] -%}
  {%- if groups -%}
    {%- do hooks.append("{{ drop_moved_groups('stg_xapi__statements', " ~ (groups | tojson) ~ ") }}") -%}
  {%- endif -%}
  {{ return(hooks) }}
{%- endmacro %}

{% macro default__partitioned_by_day(unique_key, groups) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=unique_key,
    on_schema_change='append_new_columns',
    tags=['partition_daily'],
    pre_hook=daily_pre_hooks(groups)
) }}
{%- endmacro %}

{#- On Spark the lake's tables are plain Parquet in a Hive metastore (no Delta or Iceberg
    jars can be installed offline): no DELETE, no MERGE. What they do have is partitions,
    one folder each, and INSERT OVERWRITE of the partitions a query produces
    (spark.sql.sources.partitionOverwriteMode dynamic). So a monthly or exam model is a
    table partitioned by its key: a run computes the requested partitions whole, as on
    DuckDB, drops them first (the same pre-hook: a partition that now has no rows must
    not keep stale ones) and overwrites them. Every other partition stays untouched, so a
    new month costs that month. Daily models likewise, by date (below). A table's
    partition column comes last in its schema; the export writes a mart's columns in its
    contract's order (export_parquet). -#}
{% macro spark__partitioned_whole(key, kind, tag) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by=[key],
    file_format='parquet',
    on_schema_change='append_new_columns',
    tags=[tag],
    pre_hook="{{ replace_partitions('" ~ key ~ "', '" ~ kind ~ "', always=true) }}"
) }}
{%- endmacro %}

{#- A daily model is partitioned by local_date, and a run overwrites the dates it
    recomputes whole: bronze files of the dates it rereads (stg_xapi__statements:
    incremental_bronze_files), or every date with a (re)loaded upstream row (the others:
    groups_reloaded_since_last_run). On DuckDB the same models replace groups (a
    statement, a person's day) with delete+insert; here the unit is the date. -#}
{% macro spark__partitioned_by_day(unique_key, groups) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='insert_overwrite',
    partition_by=['local_date'],
    file_format='parquet',
    on_schema_change='append_new_columns',
    tags=['partition_daily'],
    pre_hook=daily_pre_hooks(groups)
) }}
{%- endmacro %}
