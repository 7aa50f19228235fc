{{ appended_from_bronze('access', 'events') }}
-- Every access event line as delivered: duplicates are kept (occurrence > 1) because the
-- audit reports them; checks on behaviour use occurrence = 1.
-- Incremental (macro appended_from_bronze): a run appends the lines of the bronze files
-- it has not read yet; a line's occurrence counts the lines of its event id already
-- held (all landed earlier), so it is the number a full build over every file gives.
{%- set batch = appended_bronze_files('access', 'events') %}

{%- set lines = bronze_relation('access', 'events', files=batch['files']) %}

-- An event id's lines in landing order: hash first, so only the ids whose hash repeats in
-- the batch go through the window, and the rest (nearly every line: an event is delivered
-- once unless re-sent) count 1 as they are. Numbering every line sorted a district
-- month's 1.1 M events with all their columns (a first build 1.5 -> 0.85 s alone, the
-- same rows). A null id counts as one id, as in the window: hash(null) is one value.
with repeated as (
    select hash(event_id) as id_hash from {{ lines }} as b group by hash(event_id) having count(*) > 1
),

delivered as (
    select *, cast(1 as bigint) as batch_occurrence
    from {{ lines }} as b
    where hash(event_id) not in (select id_hash from repeated)
    union all
    select
        *,
        row_number() over (
            partition by event_id order by _landed_at, _delivery, _position
        ) as batch_occurrence
    from {{ lines }} as b
    where hash(event_id) in (select id_hash from repeated)
){%- if batch['appending'] %},

-- lines of the batch's event ids the table already holds (a null id counts as one id,
-- as in the window)
held as (
    select event_id, count(*) as lines
    from {{ this }}
    where event_id in (select event_id from delivered)
        or (event_id is null and exists (select 1 from delivered where event_id is null))
    group by event_id
)
{%- endif %}

select
    d.event_id,
    d.seq,
    d.event_time,
    coalesce(d.local_date, {{ local_date('d.event_time') }}) as local_date,
    d.principal_id,
    lower(nullif(trim(d.role), '')) as role,
    nullif(trim(d.client_app), '') as client_app,
    lower(nullif(trim(d.action), '')) as action,
    nullif(trim(d.resource), '') as resource,
    coalesce(d.columns, {{ fn('list_value') }}()) as columns,
    lower(nullif(trim(d.purpose), '')) as purpose,
    lower(nullif(trim(d.decision), '')) as decision,
    nullif(trim(d.grant_id), '') as grant_id,
    d.rows_returned,
    coalesce(d.subject_ids, {{ fn('list_value') }}()) as subject_ids,
    d.batch_occurrence{% if batch['appending'] %} + coalesce(h.lines, 0){% endif %} as occurrence,
    d._delivery,
    d._position
from delivered as d
{%- if batch['appending'] %}
left join held as h on h.event_id is not distinct from d.event_id
{%- endif %}
