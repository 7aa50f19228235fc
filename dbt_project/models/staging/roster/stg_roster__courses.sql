-- Courses at their latest version; grade codes as two digits.
select
    "sourcedId" as course_sourced_id,
    coalesce(lower(nullif(trim(status), '')), 'active') as status,
    "dateLastModified" as date_last_modified,
    "schoolYearSourcedId" as school_year_sourced_id,
    title as course_title,
    "courseCode" as course_code,
    list_transform(coalesce(grades, []), lambda g: {{ grade_code('g') }}) as grades,
    "orgSourcedId" as org_sourced_id,
    coalesce(subjects, []) as subjects,
    coalesce("subjectCodes", []) as subject_codes,
    _delivery,
    _landed_at
from {{ oneroster_current('courses', 'courses') }}
where {{ is_not_deleted() }}
