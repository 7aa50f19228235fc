{{ partitioned_by_day('_statement_key') }}
-- xAPI statements as typed events: one row per statement id, with the district-local
-- timestamp, date and month. A statement delivered twice counts once; of two versions the
-- one with the later record time wins (`stored`, else `timestamp`: the record's own time,
-- never the landing order or the file name), then the later landed.
-- A voided statement (the target of a `voided` statement's StatementRef) stays, flagged
-- is_voided, and leaves every mart (models count only live statements): when the voiding
-- arrives later, its target is emitted again, flagged and with a new _loaded_at, so the
-- daily models recompute its group. A voiding statement cannot itself be voided (xAPI).
-- Incremental (macro incremental_bronze_files): a run reads only the bronze files it has
-- not read yet, so a new day costs that day's deliveries; with partition_dates + rebuild
-- it replaces those dates from every file. On Spark (mode 'dates') it rereads whole the
-- dates those files and their corrections and voidings reach, dropped first (pre-hook).
-- Rows are looked up, and replaced (unique_key), by _statement_key: the id as a UUID
-- value, 7x cheaper to scan than its text (macros/statement_keys.sql).
{{ config(pre_hook=["{{ add_missing_statement_keys() }}",
                   "{{ drop_dates_to_reread('xapi', 'statements', xapi_dates_sharing_statements) }}"]) }}
{%- set batch = incremental_bronze_files('xapi', 'statements', related_dates=xapi_dates_sharing_statements) %}
{%- set loaded = 'held' if batch['mode'] == 'catch_up' else this %}

with versions as (
    select *, coalesce(try_cast(stored_raw as {{ type_timestamptz() }}), ts) as record_time
    from {{ bronze_relation('xapi', 'statements', files=batch['files']) }} as s
    where statement_id is not null and ts is not null
),

-- Which version of a statement id wins is decided on its key columns alone: ranking
-- whole rows (about 40 columns, lists among them) spilled under the memory limit and
-- took 40 s of a district month's first build, this 24 s. A version is one bronze line,
-- addressed by (_delivery, _position).
version_keys as (
    select
        lower(statement_id) as statement_key,
        coalesce(try_cast(stored_raw as {{ type_timestamptz() }}), ts) as record_time,
        _landed_at, _delivery, _position,
        case when verb_id = {{ xapi_verb('voided') }} and object_type = 'StatementRef'
             then lower(object_id) end as voids
    from {{ bronze_relation('xapi', 'statements', files=batch['files']) }} as s
    where statement_id is not null and ts is not null
),

-- every version but the winner, among the ids delivered more than once
superseded as (
    select _delivery, _position
    from version_keys
    where statement_key in (select statement_key from version_keys group by statement_key having count(*) > 1)
    qualify row_number() over (
        partition by statement_key
        order by record_time desc, _landed_at desc nulls last, _delivery desc, _position desc
    ) > 1
),

deduplicated as (
    select *
    from versions as v
    where not exists (
        select 1 from superseded as x where x._delivery = v._delivery and x._position = v._position
    )
),

-- Statement ids voided by a voiding statement of this batch, or of earlier runs. Read
-- from the keys, not from `deduplicated`: a second reader of that CTE made DuckDB
-- materialize it, all 28 columns of every statement (a district month's first build
-- 23.6 -> 17.0 s, the same rows).
batch_voids as (
    select distinct voids as statement_id from version_keys as k
    where voids is not null
      and not exists (
          select 1 from superseded as x where x._delivery = k._delivery and x._position = k._position
      )
),

voided_ids as (
    select statement_id from batch_voids
    {%- if is_incremental() %}
    union
    select lower(object_id) from {{ this }}
    where verb_id = {{ xapi_verb('voided') }} and object_type = 'StatementRef'
    {%- endif %}
),

{%- if batch['mode'] == 'catch_up' %}

-- The loaded rows this batch concerns, read from the table once: earlier versions of its
-- statements, and the statements it voids. A batch is a day's deliveries and the table
-- every statement so far, which each of the three uses below scanned whole (a district
-- new day's batch: 2.3 -> 1.5 s). Not the statements voided before this batch: those are
-- flagged already (a target is flagged when its voiding lands, or when it lands after
-- it), and the only use of them, the re-emission below, skips flagged rows.
-- Found in two steps: the keys alone first (one column of every row: the table holds
-- every statement so far; _statement_key, a UUID, not the id's text), then the few rows
-- found, whole, by rowid. One step read every
-- column of every vector a candidate fell in (the pushed-down join filter lets about
-- 0.5 % of the ids through, and they are spread over all of history): on a district's
-- new day this model took 0.84-0.91 s after 29 days of history and 2.4-4.4 s after 89;
-- in two steps 0.61-0.63 s and 1.9-2.8 s.
held_rows as (
    select rowid as held_row from {{ this }}
    where _statement_key in (
        select {{ statement_key('statement_id') }} from deduplicated
        union
        select {{ statement_key('statement_id') }} from batch_voids
    )
),

held as (
    select * from {{ this }}
    where rowid in (select held_row from held_rows)
),

-- The loaded versions this batch may replace: a correction can move a statement to
-- another person, object, class or day, and the daily models must then recompute (or
-- drop) the group it leaves as well as the one it joins (groups_reloaded_since_last_run,
-- drop_moved_groups).
replaced as (
    select
        statement_id as _replaced_statement_id,
        actor_sourced_id as _replaced_actor_sourced_id,
        object_id as _replaced_object_id,
        grouping_class_sourced_id as _replaced_grouping_class_sourced_id,
        local_date as _replaced_local_date
    from held
    where statement_id in (select lower(statement_id) from deduplicated)
),
{%- endif %}

batch as (

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
    coalesce(context_parent_ids, {{ fn('list_value') }}()) as context_parent_ids,
    coalesce(context_grouping_ids, {{ fn('list_value') }}()) as context_grouping_ids,
    coalesce(knowledge_point_ids, {{ fn('list_value') }}()) as knowledge_point_ids,
    {{ fn('list_extract') }}(context_parent_ids, 1) as parent_activity_id,
    nullif(regexp_extract(
        {{ fn('list_extract') }}(filter(coalesce(context_grouping_ids, {{ fn('list_value') }}()), {{ lambda('g') }} g like '%/classes/%'), 1),
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
    current_timestamp as _loaded_at,
    lower(statement_id) in (select statement_id from voided_ids)
        and verb_id <> {{ xapi_verb('voided') }} as is_voided,
    {%- if batch['mode'] == 'catch_up' %}
    _replaced_actor_sourced_id,
    _replaced_object_id,
    _replaced_grouping_class_sourced_id,
    _replaced_local_date,
    {%- else %}
    cast(null as string) as _replaced_actor_sourced_id,
    cast(null as string) as _replaced_object_id,
    cast(null as string) as _replaced_grouping_class_sourced_id,
    cast(null as date) as _replaced_local_date,
    {%- endif %}
    -- last: a table built before the key existed has it added at the end (pre-hook)
    {{ statement_key('statement_id') }} as _statement_key
from deduplicated as d
{%- if batch['mode'] == 'catch_up' %}
left join replaced as r on r._replaced_statement_id = lower(d.statement_id)
{%- endif %}
{%- if batch['mode'] in ('catch_up', 'dates') %}
-- A version already loaded stays when it is newer by record time, or as new and landed
-- at the same time or later (delete+insert on _statement_key replaces it otherwise). On
-- Spark only versions on dates not reread count: the reread ones were dropped.
where not exists (
    select 1 from {{ loaded }} as t
    where t.statement_id = lower(d.statement_id)
      {%- if batch['mode'] == 'dates' %}
      and not {{ in_list('t.local_date', batch['dates'], 'date') }}
      {%- endif %}
      and (t.record_time > d.record_time
           or (t.record_time = d.record_time and t._landed_at >= d._landed_at))
)
{%- endif %}
)

select * from batch
{%- if is_incremental() and batch['mode'] != 'dates' %}
union all by name
-- Loaded earlier, voided by this batch: emitted again, flagged, to be recomputed downstream.
select * replace (true as is_voided, current_timestamp as _loaded_at)
from {{ loaded }}
where not is_voided
  and verb_id <> {{ xapi_verb('voided') }}
  and statement_id in (select statement_id from voided_ids)
  and statement_id not in (select statement_id from batch)
{%- endif %}
