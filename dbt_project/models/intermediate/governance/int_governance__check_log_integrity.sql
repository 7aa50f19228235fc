-- Access-log integrity: gaps in each client app's seq (events lost or removed), a seq
-- carried by two different event ids (an event renumbered or replaced: each event has a
-- seq of its own), events missing required fields, and event ids delivered again with
-- different content.
with lines as {{ inlined() }} (
    select e.event_id, e.seq, e.event_time, e.principal_id, e.role, e.client_app, e.action, e.resource, e.purpose,
        e.decision, e.grant_id, e.occurrence, coalesce(e.event_id, e._delivery || ':' || e._position) as line_id,
        -- an allowed read of a student-level mart names the students it returned
        -- (docs/inputs.md: subject_ids) and how many rows: without them every subject check
        -- (scope, consent, bulk) passes it unseen. A report page (role_report) is no rows.
        coalesce(e.decision <> 'denied' and r.student_level and e.resource <> 'role_report', false)
            as reads_students,
        e.rows_returned,
        e.columns,
        e.subject_ids,
        cardinality(e.subject_ids) as subjects
    from {{ ref('stg_access__events') }} as e
    left join {{ ref('governance_resources') }} as r on r.resource = e.resource
),

-- Each line's seq after the one before it in its app: a gap is where they differ by more
-- than one. Lines sharing a seq follow each other at a difference of 0, so the first of
-- them meets the seq before, as if each seq came once. Within a seq the lines come in id
-- order, so a seq carried by two different ids shows as neighbours whose ids differ (an
-- event re-sent, the same id, does not; null ids gather at one end). The window carries
-- the app, seq and id; the event ids and times are looked up for the few seqs found.
-- Grouping the seqs first, with their first id and time, and ordering those took
-- 1.3-1.8 s at 89 district days (3.0 M lines), a window over (app, seq) alone 0.5-0.6 s;
-- ordering by the id too costs 0.18 s more over 3 M synthetic lines.
seq_steps as (
    select client_app, seq,
        lag(seq) over (partition by client_app order by seq, event_id) as previous_seq,
        lag(event_id) over (partition by client_app order by seq, event_id) as previous_event_id,
        event_id
    from lines
    where client_app is not null and seq is not null
),

gap_ends as (
    select distinct client_app, seq, previous_seq
    from seq_steps
    where seq - previous_seq > 1
),

reused_seqs as (
    select distinct client_app, seq
    from seq_steps
    where seq = previous_seq and event_id <> previous_event_id
),

reused as (
    select
        'log_sequence_gap' as check_name,
        cast(null as string) as principal_id,
        cast(null as string) as grant_id,
        {{ ordered_list('event_id', 'event_id') }} as event_ids,
        client_app || ': seq ' || seq || ' carried by ' || count(*)
            || ' different event ids (one number per event)' as evidence,
        min(event_time) as first_seen,
        max(event_time) as last_seen,
        client_app || ':' || seq as finding_key
    from (
        -- each id once, though it was re-sent (log_duplicate_event reports that)
        select l.client_app, l.seq, l.event_id, min(l.event_time) as event_time
        from reused_seqs as r
        inner join lines as l on l.client_app = r.client_app and l.seq = r.seq and l.event_id is not null
        group by l.client_app, l.seq, l.event_id
    )
    group by client_app, seq
),

gaps as (
    select
        'log_sequence_gap' as check_name,
        cast(null as string) as principal_id,
        cast(null as string) as grant_id,
        -- the line after the gap, by its id, or by delivery:position when it has none (a
        -- null here was printed "None" in the findings: the surveys probe)
        {{ fn('list_value') }}(min(l.line_id)) as event_ids,
        g.client_app || ': seq ' || g.previous_seq || ' -> ' || g.seq || ' (' || (g.seq - g.previous_seq - 1)
            || ' event(s) missing)' as evidence,
        min(l.event_time) as first_seen,
        min(l.event_time) as last_seen,
        g.client_app || ':' || g.previous_seq || '->' || g.seq as finding_key
    from gap_ends as g
    inner join lines as l on l.client_app = g.client_app and l.seq = g.seq
    group by g.client_app, g.previous_seq, g.seq
),

missing as (
    select
        'log_missing_fields' as check_name,
        principal_id,
        grant_id,
        {{ ordered_list('line_id', 'line_id') }} as event_ids,
        count(*) || ' event(s) missing ' || {{ fn('array_to_string') }}(array_sort(array_distinct(flatten(array_agg(missing_fields)))), ', ') as evidence,
        min(event_time) as first_seen,
        max(event_time) as last_seen,
        cast(null as string) as finding_key
    from (
        select *, filter({{ fn('list_value') }}(
            case when event_id is null then 'event_id' end,
            case when seq is null then 'seq' end,
            case when event_time is null then 'event_time' end,
            case when principal_id is null then 'principal_id' end,
            case when role is null then 'role' end,
            case when client_app is null then 'client_app' end,
            case when action is null then 'action' end,
            case when resource is null then 'resource' end,
            case when purpose is null then 'purpose' end,
            case when decision is null then 'decision' end,
            -- a decision the contract does not name was judged as a read, unreported
            case when decision not in ('allowed', 'denied', 'masked') then 'a valid decision' end,
            case when reads_students and rows_returned is null then 'rows_returned' end,
            case when reads_students and coalesce(subjects, 0) = 0 and coalesce(rows_returned, 1) > 0
                 then 'subject_ids' end
        ), {{ lambda('f') }} f is not null) as missing_fields
        from lines
        where (occurrence = 1 or event_id is null)
          and (event_id is null or seq is null or event_time is null or principal_id is null or role is null
               or client_app is null or action is null or resource is null or purpose is null or decision is null
               or decision not in ('allowed', 'denied', 'masked')
               or (reads_students and (rows_returned is null
                                       or (coalesce(subjects, 0) = 0 and rows_returned > 0))))
    )
    where cardinality(missing_fields) > 0
    group by principal_id, grant_id
),

duplicates as (
    select
        'log_duplicate_event' as check_name,
        principal_id,
        grant_id,
        {{ ordered_list('event_id', 'event_id') }} as event_ids,
        count(*) || ' event id(s) delivered again with different content (' || sum(copies) || ' lines)' as evidence,
        min(event_time) as first_seen,
        max(event_time) as last_seen,
        cast(null as string) as finding_key
    from (
        select event_id, count(*) as copies, min_by(principal_id, occurrence) as principal_id,
            min_by(grant_id, occurrence) as grant_id, min(event_time) as event_time
        from lines
        -- only the ids with a second line (occurrence counts an id's lines across every
        -- delivery, stg_access__events): the district's million events are not grouped
        where event_id in (select event_id from lines where occurrence > 1)
        group by event_id
        -- the same event told two ways: the first line is the one judged, so a later one
        -- that differs rewrites the trail, or hides what happened. An identical line re-sent
        -- (a log file delivered again with its new lines) adds nothing and is no finding:
        -- it kept the audit probe's 238 findings for one file re-sent with a line more.
        having count(distinct {{ access_line_content() }}) > 1
    )
    group by principal_id, grant_id
)

select * from gaps
union all
select * from reused
union all
select * from missing
union all
select * from duplicates
