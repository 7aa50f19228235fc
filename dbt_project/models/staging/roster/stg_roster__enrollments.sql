-- Class memberships (student or teacher) at their latest version, with their dates.
-- A membership that ended keeps its row: one a delta marks `tobedeleted`, and one a
-- newer bulk no longer holds (docs/inputs.md: it has ended). Its end_date becomes its last
-- day in the roster (roster_end_date: the district-local day before the deletion or
-- before that bulk), unless it ended before. Dropped, it took the student out of every
-- month they had been in the class: past rosters shrank, and an exam's class figures
-- (class_exam) lost a student its exam_summary still counted. A deletion with no time
-- and no later bulk is dropped, as it cannot be dated.
select
    sourcedId as enrollment_sourced_id,
    coalesce(lower(nullif(trim(status), '')), 'active') as status,
    dateLastModified as date_last_modified,
    classSourcedId as class_sourced_id,
    schoolSourcedId as school_sourced_id,
    userSourcedId as user_sourced_id,
    lower(role) as role,
    coalesce({{ adapter.quote('primary') }}, false) as is_primary,
    beginDate as begin_date,
    case when {{ roster_end_date() }} is null then endDate
         else least(coalesce(endDate, {{ roster_end_date() }}), {{ roster_end_date() }})
    end as end_date,
    _delivery,
    _landed_at
from {{ oneroster_current('enrollments', 'enrollments', keep_ended=true) }}
where {{ roster_record_dated() }}
