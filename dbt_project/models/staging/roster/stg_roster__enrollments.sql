-- Class memberships (student or teacher) at their latest version, with their dates.
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
    endDate as end_date,
    _delivery,
    _landed_at
from {{ oneroster_current('enrollments', 'enrollments') }}
where {{ is_not_deleted() }}
