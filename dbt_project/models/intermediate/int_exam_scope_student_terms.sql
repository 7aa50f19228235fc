-- Per scope (class | school | district) x academic session x subject x present student:
-- the student's mean score rate and mean z-score over that subject's exams of the
-- session. The term marts summarise these rows (one student counts once per scope).
select
    s.scope_type,
    s.scope_id,
    s.class_type,
    max(s.school_sourced_id) as school_sourced_id,
    r.academic_session,
    r.subject,
    max(r.grade) as grade,
    r.student_sourced_id,
    count(distinct r.exam_id) as exams,
    {{ exact_mean('r.score_rate') }} as score_rate,
    {{ exact_mean('r.z_score') }} as z_score
from {{ ref('int_exam_student_scopes') }} as s
inner join {{ ref('int_exam_student_results') }} as r
    on r.exam_id = s.exam_id and r.student_sourced_id = s.student_sourced_id
group by s.scope_type, s.scope_id, s.class_type, r.academic_session, r.subject, r.student_sourced_id
