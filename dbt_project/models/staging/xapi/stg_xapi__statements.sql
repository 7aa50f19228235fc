{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='local_date',
    on_schema_change='append_new_columns'
) }}
-- xAPI statements as typed events: one row per statement id (a statement delivered twice
-- counts once), with the district-local timestamp, date and month. Incremental by local
-- date: only the dates touched by new deliveries are re-read (macro incremental_bronze_files).
{%- set batch = incremental_bronze_files('xapi', 'statements') %}

with deduplicated as (
    select *
    from {{ bronze_relation('xapi', 'statements', files=batch['files']) }} as s
    where statement_id is not null and ts is not null
    qualify row_number() over (
        partition by lower(statement_id)
        order by _landed_at desc nulls last, _delivery desc, _position desc
    ) = 1
)

select
    lower(statement_id) as statement_id,
    actor_name as actor_sourced_id,
    actor_home_page,
    verb_id,
    regexp_extract(verb_id, '([^/#]+)$', 1) as verb,
    object_id,
    object_type,
    object_definition_type,
    result_success,
    result_completion,
    result_score_raw,
    result_score_min,
    result_score_max,
    result_score_scaled,
    result_duration,
    context_registration,
    coalesce(context_parent_ids, []) as context_parent_ids,
    coalesce(context_grouping_ids, []) as context_grouping_ids,
    coalesce(knowledge_point_ids, []) as knowledge_point_ids,
    context_parent_ids[1] as parent_activity_id,
    nullif(regexp_extract(
        list_filter(coalesce(context_grouping_ids, []), lambda g: g like '%/classes/%')[1],
        '/classes/([^/?#]+)', 1), '') as grouping_class_sourced_id,
    ts,
    ts_raw,
    {{ local_timestamp('ts') }} as ts_local,
    {{ local_date('ts') }} as local_date,
    {{ month_of(local_date('ts')) }} as month,
    version as xapi_version,
    _delivery,
    _landed_at,
    current_timestamp as _loaded_at,
    cast({{ "'" ~ batch['watermark'] ~ "'" if batch['watermark'] else 'null' }} as timestamptz) as _ledger_watermark
from deduplicated
