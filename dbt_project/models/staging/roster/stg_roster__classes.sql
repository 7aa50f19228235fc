-- Classes (homeroom 行政班 and scheduled 教学班) at their latest version.
select
    sourcedId as class_sourced_id,
    coalesce(lower(nullif(trim(status), '')), 'active') as status,
    dateLastModified as date_last_modified,
    title as class_title,
    {{ fn('list_transform') }}(coalesce(grades, {{ fn('list_value') }}()), {{ lambda('g') }} {{ grade_code('g') }}) as grades,
    courseSourcedId as course_sourced_id,
    classCode as class_code,
    lower(classType) as class_type,
    location,
    schoolSourcedId as school_sourced_id,
    coalesce(termSourcedIds, {{ fn('list_value') }}()) as term_sourced_ids,
    coalesce(subjects, {{ fn('list_value') }}()) as subjects,
    coalesce(subjectCodes, {{ fn('list_value') }}()) as subject_codes,
    coalesce(periods, {{ fn('list_value') }}()) as periods,
    _delivery,
    _landed_at
from {{ oneroster_current('classes', 'classes') }}
where {{ is_not_deleted() }}
