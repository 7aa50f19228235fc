{#- Keep the newest version of each record: OneRoster supersedes by sourcedId and
    dateLastModified; ties (same timestamp delivered twice) go to the latest landing,
    then the last line. Used by every staging model of a source delivered as files.
    Hash first: only the keys whose hash repeats go through the ranking window; the rest,
    nearly every row (a key is delivered once unless corrected), pass as they are. Ranking
    every row sorted a district month's 6.5 M exam scores (stg_exams__scores 3.8 -> 2.2 s,
    the same rows). A hash collision only sends a few more rows to the window. -#}
{#- Newest version first: the latest modification time, then the latest landing, then the
    last delivery and line. The one order of versions (latest_by_key, and the users'
    disabled runs in stg_roster__users). -#}
{% macro newest_first(modified_col='dateLastModified') -%}
{{ modified_col }} desc nulls last, _landed_at desc nulls last, _delivery desc, _position desc
{%- endmacro %}

{% macro latest_by_key(relation, key, modified_col='dateLastModified') -%}
(with repeated as (
    select hash({{ key }}) as key_hash from {{ relation }} as k group by hash({{ key }}) having count(*) > 1
)
select * from {{ relation }} as r
where hash({{ key }}) not in (select key_hash from repeated)
union all
select * from (select * from {{ relation }} as v where hash({{ key }}) in (select key_hash from repeated)) as r
qualify row_number() over (
    partition by {{ key }}
    order by {{ newest_first(modified_col) }}
) = 1)
{%- endmacro %}

{#- OneRoster status: empty in bulk files means active; 'tobedeleted' rows are dropped
    after picking the latest version (a deletion supersedes the record). -#}
{% macro is_not_deleted(status_col='status') -%}
coalesce(lower(nullif(trim({{ status_col }}), '')), 'active') <> 'tobedeleted'
{%- endmacro %}

{#- The last day a OneRoster record was in the roster, district-local and inclusive like
    OneRoster's endDate: the day before its deletion (`tobedeleted`, at its
    dateLastModified) or before the bulk that no longer held it (`_bulk_ended_at`, from
    oneroster_current with keep_ended), whichever came first; NULL while it is current.
    A deletion with no time and no later bulk has no day (the model drops it). -#}
{% macro roster_end_date() -%}
{%- set deleted_day -%}case when not ({{ is_not_deleted() }}) then {{ local_date('dateLastModified') }} end{%- endset -%}
{%- set bulk_day -%}{{ local_date('_bulk_ended_at') }}{%- endset -%}
case
    when {{ deleted_day }} is null then {{ bulk_day }} - 1
    when {{ bulk_day }} is null then {{ deleted_day }} - 1
    else least({{ deleted_day }}, {{ bulk_day }}) - 1
end
{%- endmacro %}

{#- Keeps the records roster_end_date can date: current ones and those ended by a dated
    deletion or a newer bulk. -#}
{% macro roster_record_dated() -%}
({{ is_not_deleted() }} or dateLastModified is not null or _bulk_ended_at is not null)
{%- endmacro %}

{#- The current records of a OneRoster file: the latest version of each sourcedId
    (latest_by_key), minus those a newer bulk ended. A bulk file (manifest
    `file.<name>` = bulk) is the whole set as of its delivery: a record the newest bulk
    no longer holds has ended, unless a later delta brought it back: a delta delivered
    after that bulk, or a version dated after anything the bulk holds. The newest bulk is
    found by its record time (dateLastModified) when every bulk carries one, so an old
    bulk landed late never ends today's records; when a bulk has none (bulk files may
    leave it empty), by landing order: its only time is its landing, and a landing time
    cannot be compared with a source's record times (a history loaded years later would
    make its first undated bulk the newest for ever). Never by the file name. Deltas
    change only what they hold; `tobedeleted` ends a record (is_not_deleted).

    `keep_ended`: the records a newer bulk ended stay too, marked `_ended`, with
    `_bulk_ended_at`: the time of the first bulk after their latest version (the bulk
    that no longer held them; every later one lacks them too, or it would hold their
    latest version), NULL for a current record. Ended is not never-was: a class a new
    school year's bulk leaves out, and its students' memberships, were real until then,
    and the months and exams before still count them. A bulk's time is its newest record
    time, else (an undated bulk) its landing. The next bulk after a bulk is by the order
    above; after a delta, the first bulk landed after it. -#}
{% macro oneroster_current(table_name, manifest_name, keep_ended=false) -%}
(with versions as (
    select * from {{ bronze_relation('roster', table_name) }}
), bulks as (
    select v._delivery, max(v.dateLastModified) as modified, max(v._landed_at) as landed
    from versions as v
    where v._delivery in (
        select m._delivery from {{ bronze_relation('roster', 'manifest') }} as m
        where lower(trim(m.propertyName)) = lower('file.{{ manifest_name }}')
          and lower(trim(m.value)) = 'bulk')
    group by v._delivery
), bulk_order as (
    select b.*, case when u.undated = 0 then b.modified end as dated
    from bulks as b
    cross join (select count(*) - count(modified) as undated from bulks) as u
), ranked_bulks as (
    -- 1 = the newest bulk
    select *, row_number() over (order by dated desc nulls last, landed desc, _delivery desc) as bulk_rank
    from bulk_order
), newest_bulk as (
    select * from ranked_bulks where bulk_rank = 1
{%- set columns = bronze_columns('roster', table_name) | map(attribute=0) | list %}
{%- if 'status' in columns %}
{%- set kept = ['sourcedId', 'status', 'dateLastModified'] + (bronze_lineage_columns() | map(attribute=0) | list) + ['_extra'] %}
), newest as (
    select * from {{ latest_by_key('versions', 'sourcedId') }}
), undeleted as (
    select * from versions as v where {{ is_not_deleted('v.status') }}
), last_undeleted as (
    select * from {{ latest_by_key('undeleted', 'sourcedId') }}
), latest as (
    -- A deletion ends the record as it last was. OneRoster 1.1 asks a `tobedeleted` row
    -- for its key alone (landing waives the rest), so its attributes come from the
    -- latest version before it; a deletion of a record never seen keeps its own.
    select
        {%- for name in columns %}
        {%- if name in kept %}
        n.{{ adapter.quote(name) }},
        {%- else %}
        case when p.sourcedId is null or {{ is_not_deleted('n.status') }} then n.{{ adapter.quote(name) }}
             else p.{{ adapter.quote(name) }} end as {{ adapter.quote(name) }},
        {%- endif %}
        {%- endfor %}
        n._extra
    from newest as n
    left join last_undeleted as p on p.sourcedId = n.sourcedId
{%- else %}
), latest as (
    select * from {{ latest_by_key('versions', 'sourcedId') }}
{%- endif %}
)
{%- set is_current -%}
    not exists (select 1 from newest_bulk)
    or l.sourcedId in (select v.sourcedId from versions as v where v._delivery = (select _delivery from newest_bulk))
    or (l._delivery not in (select _delivery from bulks) and l._landed_at > (select landed from newest_bulk))
    or l.dateLastModified > (select modified from newest_bulk)
{%- endset %}
{%- if keep_ended %}
, judged as (
    -- an anti-join, not NOT IN: Spark takes IN subqueries in filters only
    select l.*, c.sourcedId is null as _ended
    from latest as l
    left join (select l.sourcedId from latest as l where {{ is_current }}) as c on c.sourcedId = l.sourcedId
), ended as (
    select o.sourcedId, max_by(coalesce(b.modified, b.landed), b.bulk_rank) as ended_at
    from (
        select j.sourcedId, j._delivery, j._landed_at, j.dateLastModified, own.bulk_rank as own_rank
        from judged as j
        left join ranked_bulks as own on own._delivery = j._delivery
        where j._ended
    ) as o
    -- the bulks after the record's latest version: by the bulks' order for a version a
    -- bulk holds; by record time for a delta's dated version when the bulks are dated
    -- (by landing, an old bulk landed late came after a delta's deletion, and its time
    -- ended the record weeks early: the roster probe); else by landing
    inner join ranked_bulks as b
        on b._delivery <> o._delivery
       and (case when o.own_rank is not null then b.bulk_rank < o.own_rank
                 when b.dated is not null and o.dateLastModified is not null then b.dated > o.dateLastModified
                 else b.landed > o._landed_at end)
    group by o.sourcedId
)
select j.*,
    case when j._ended then coalesce(e.ended_at, (select coalesce(modified, landed) from newest_bulk)) end
        as _bulk_ended_at
from judged as j
left join ended as e on e.sourcedId = j.sourcedId)
{%- else %}
select l.* from latest as l
where {{ is_current }})
{%- endif %}
{%- endmacro %}

{#- The rows of each exam's latest delivery (the latest landing time). An exam
    delivery is the whole exam (the contract: one exam per delivery), so a correction
    delivers it again, whole, under a new name: a student or item it leaves out has left
    the exam. Picked per key instead, rows the correction dropped stayed from the older
    delivery, in every exam mart and through `--full` (the audit probe: 6 students and an
    item removed by a correction were still counted). `relation` must hold exam_id,
    _delivery and _landed_at; reference it by a CTE name (it is read twice). -#}
{% macro latest_exam_delivery(relation) -%}
(select r.* from {{ relation }} as r
 inner join (select exam_id, max(_landed_at) as _latest from {{ relation }} group by exam_id) as l
     on l.exam_id = r.exam_id and l._latest = r._landed_at)
{%- endmacro %}
