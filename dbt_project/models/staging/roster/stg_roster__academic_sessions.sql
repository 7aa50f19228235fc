-- School years, terms and grading periods at their latest version.
select
    sourcedId as session_sourced_id,
    coalesce(lower(nullif(trim(status), '')), 'active') as status,
    dateLastModified as date_last_modified,
    title as session_title,
    lower(type) as session_type,
    startDate as start_date,
    endDate as end_date,
    nullif(trim(parentSourcedId), '') as parent_sourced_id,
    schoolYear as school_year,
    _delivery,
    _landed_at
from {{ oneroster_current('academic_sessions', 'academicSessions') }}
where {{ is_not_deleted() }}
