-- Classes (homeroom 行政班 and scheduled 教学班) at their latest version.
select
    "sourcedId" as class_sourced_id,
    coalesce(lower(nullif(trim(status), '')), 'active') as status,
    "dateLastModified" as date_last_modified,
    title as class_title,
    list_transform(coalesce(grades, []), lambda g: {{ grade_code('g') }}) as grades,
    "courseSourcedId" as course_sourced_id,
    "classCode" as class_code,
    lower("classType") as class_type,
    location,
    "schoolSourcedId" as school_sourced_id,
    coalesce("termSourcedIds", []) as term_sourced_ids,
    coalesce(subjects, []) as subjects,
    coalesce("subjectCodes", []) as subject_codes,
    coalesce(periods, []) as periods,
    _delivery,
    _landed_at
from {{ oneroster_current('classes', 'classes') }}
where {{ is_not_deleted() }}
