{{ partitioned_by_day('statement_id') }}
-- xAPI statements as typed events: one row per statement id, with the district-local
-- timestamp, date and month. A statement delivered twice counts once; of two versions the
-- one with the later record time wins (`stored`, else `timestamp`: the record's own time,
-- never the landing order or the file name), then the later landed.
-- Incremental (macro incremental_bronze_files): a run reads only the bronze files it has
-- not read yet, so a new day costs that day's deliveries; with partition_dates + rebuild
-- it replaces those dates from every file.
{%- set batch = incremental_bronze_files('xapi', 'statements') %}

with versions as (
    select *, coalesce(try_cast(stored_raw as timestamptz), ts) as record_time
    from {{ bronze_relation('xapi', 'statements', files=batch['files']) }} as s
    where statement_id is not null and ts is not null
),

deduplicated as (
    select *
    from versions
    qualify row_number() over (
        partition by lower(statement_id)
        order by record_time desc, _landed_at desc nulls last, _delivery desc, _position desc
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
    record_time,
    _delivery,
    _landed_at,
    current_timestamp as _loaded_at
from deduplicated as d
{%- if batch['mode'] == 'catch_up' %}
-- A version already loaded stays when it is newer by record time, or as new and landed
-- at the same time or later (delete+insert on statement_id replaces it otherwise).
where not exists (
    select 1 from {{ this }} as t
    where t.statement_id = lower(d.statement_id)
      and (t.record_time > d.record_time
           or (t.record_time = d.record_time and t._landed_at >= d._landed_at))
)
{%- endif %}
