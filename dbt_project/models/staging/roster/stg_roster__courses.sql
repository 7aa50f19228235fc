-- Courses at their latest version; grade codes as two digits. A course a newer bulk no
-- longer holds stays: an ended class still takes its subject from it.
select
    sourcedId as course_sourced_id,
    coalesce(lower(nullif(trim(status), '')), 'active') as status,
    dateLastModified as date_last_modified,
    schoolYearSourcedId as school_year_sourced_id,
    title as course_title,
    courseCode as course_code,
    {{ fn('list_transform') }}(coalesce(grades, {{ fn('list_value') }}()), {{ lambda('g') }} {{ grade_code('g') }}) as grades,
    orgSourcedId as org_sourced_id,
    coalesce(subjects, {{ fn('list_value') }}()) as subjects,
    coalesce(subjectCodes, {{ fn('list_value') }}()) as subject_codes,
    _delivery,
    _landed_at
from {{ oneroster_current('courses', 'courses', keep_ended=true) }}
where {{ is_not_deleted() }}
