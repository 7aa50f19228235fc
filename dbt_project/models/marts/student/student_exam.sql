{{ partitioned_by_exam() }}
{%- set exams = partition_exams() %}
-- One row per exam x present student (pseudonymous student_key): score, z-score within
-- the exam, district rank and percentile, computed by int_exam_student_results exactly as
-- docs/domain.md (Exam statistics) defines them.
with results as (
    select * from {{ ref('int_exam_student_results') }} as r
    where {{ partition_scope('r.exam_id', exams) }}
),

-- one key per student (macro keyed_students), not one HMAC per result
student_keys as (
    {{ keyed_students('results') }}
)

select
    r.exam_id,
    k.student_key,
    r.kind,
    r.subject,
    r.grade,
    r.academic_session,
    r.exam_date,
    sc.school_sourced_id,
    cast(r.score as double) as score,
    cast(r.max_score as double) as max_score,
    cast(r.score_rate as double) as score_rate,
    cast(r.z_score as double) as z_score,
    cast(r.district_rank as bigint) as district_rank,
    cast(r.percentile as double) as percentile
from results as r
left join student_keys as k on k.student_sourced_id = r.student_sourced_id
left join {{ ref('int_exam_student_schools') }} as sc
    on sc.exam_id = r.exam_id and sc.student_sourced_id = r.student_sourced_id
