-- One row per exam: the version from the latest delivery (a corrected exam comes under a
-- new delivery name and supersedes by exam_id and landing time). sitting_id: the exams of
-- one grade taken together (one 统考 across subjects): the delivered id within the exam's
-- grade (a district naming its autumn midterm once for every grade holds one sitting per
-- grade; across grades they were one sitting nobody sat whole: the exams probe), else one
-- grade's exams of the same kind, session and date (docs/inputs.md).
select
    exam_id,
    nullif(trim(name), '') as exam_name,
    lower(trim(kind)) as kind,
    nullif(trim(academic_session), '') as academic_session,
    {{ grade_code('grade') }} as grade,
    lower(trim(subject)) as subject,
    exam_date,
    nullif(trim(org_sourcedId), '') as org_sourced_id,
    case
        when nullif(trim(sitting_id), '') is not null
            then concat_ws('|', trim(sitting_id), {{ grade_code('grade') }})
        else concat_ws('|', {{ grade_code('grade') }}, lower(trim(kind)), nullif(trim(academic_session), ''), cast(exam_date as string))
    end as sitting_id,
    _delivery,
    _landed_at
from {{ latest_by_key(bronze_relation('exams', 'exams'), 'exam_id', modified_col='_landed_at') }}
where exam_id is not null
