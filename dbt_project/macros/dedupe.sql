{#- Keep the newest version of each record: OneRoster supersedes by sourcedId and
    dateLastModified; ties (same timestamp delivered twice) go to the latest landing,
    then the last line. Used by every staging model of a source delivered as files.
    Hash first: only the keys whose hash repeats go through the ranking window; the rest,
    nearly every row (a key is delivered once unless corrected), pass as they are. Ranking
    every row sorted a district month's 6.5 M exam scores (stg_exams__scores 3.8 -> 2.2 s,
    the same rows). A hash collision only sends a few more rows to the window. -#}
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
    order by {{ modified_col }} desc nulls last, _landed_at desc nulls last, _delivery desc, _position desc
) = 1)
{%- endmacro %}

{#- OneRoster status: empty in bulk files means active; 'tobedeleted' rows are dropped
    after picking the latest version (a deletion supersedes the record). -#}
{% macro is_not_deleted(status_col='status') -%}
coalesce(lower(nullif(trim({{ status_col }}), '')), 'active') <> 'tobedeleted'
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
    change only what they hold; `tobedeleted` ends a record (is_not_deleted). -#}
{% macro oneroster_current(table_name, manifest_name) -%}
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
), newest_bulk as (
    select * from bulk_order qualify row_number() over (order by dated desc nulls last, landed desc, _delivery desc) = 1
), latest as (
    select * from {{ latest_by_key('versions', 'sourcedId') }}
)
select l.* from latest as l
where not exists (select 1 from newest_bulk)
   or l.sourcedId in (select v.sourcedId from versions as v where v._delivery = (select _delivery from newest_bulk))
   or (l._delivery not in (select _delivery from bulks) and l._landed_at > (select landed from newest_bulk))
   or l.dateLastModified > (select modified from newest_bulk))
{%- endmacro %}
