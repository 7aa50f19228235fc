{{ partitioned_by_exam() }}
{%- set exams = partition_exams() %}
-- Per scope (class | school) x exam: the present students' results in that one exam
-- (count, mean score, mean score rate, mean z) and the score-rate distribution in the
-- bands of macro exam_score_bands. A homeroom (行政班) counts for every exam its students
-- sat, a scheduled class (教学班) for its own subject (int_exam_student_scopes). Read by
-- quality_map (school rows) and class_exam (class rows); suppressed together in
-- int_exam_suppression, so the two marts hide the same cells. Partitioned by exam.
select
    s.scope_type,
    s.scope_id,
    s.class_type,
    max(s.school_sourced_id) as school_sourced_id,
    r.exam_id,
    r.subject,
    r.exam_date,
    r.grade,
    r.academic_session,
    cast(count(*) as bigint) as students,
    {{ exact_mean('r.score') }} as mean_score,
    {{ exact_mean('r.score_rate') }} as mean_score_rate,
    {{ exact_mean('r.z_score') }} as mean_z,
    {{ exam_score_bands('r.score_rate') }}
from {{ ref('int_exam_student_results') }} as r
inner join {{ ref('int_exam_student_scopes') }} as s
    on s.exam_id = r.exam_id and s.student_sourced_id = r.student_sourced_id
where s.scope_type in ('class', 'school') and {{ partition_scope('r.exam_id', exams) }}
group by s.scope_type, s.scope_id, s.class_type, r.exam_id, r.subject, r.exam_date, r.grade, r.academic_session
