-- Class memberships (student or teacher) at their latest version, with their dates.
-- A membership a delta marks `tobedeleted` ends, it does not vanish: its end_date becomes
-- the day before the deletion (its dateLastModified, district-local), unless it ended
-- before. Dropped, it took the student out of every month they had been in the class:
-- past rosters shrank, and an exam's class figures (class_exam) lost a student its
-- exam_summary still counted. A deletion with no time is dropped, as it cannot be dated.
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
    case when {{ is_not_deleted() }} then endDate
         else least(coalesce(endDate, {{ local_date('dateLastModified') }} - 1), {{ local_date('dateLastModified') }} - 1)
    end as end_date,
    _delivery,
    _landed_at
from {{ oneroster_current('enrollments', 'enrollments') }}
where {{ is_not_deleted() }} or dateLastModified is not null
