-- Classes (homeroom 行政班 and scheduled 教学班) at their latest version. A class that
-- ended (deleted, or left out of a newer bulk, as last school year's classes are) stays,
-- with its last day (roster_end_date): its memberships end with it, and its past counts.
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
    {{ roster_end_date() }} as roster_end_date,
    _delivery,
    _landed_at
from {{ oneroster_current('classes', 'classes', keep_ended=true) }}
where {{ roster_record_dated() }}
