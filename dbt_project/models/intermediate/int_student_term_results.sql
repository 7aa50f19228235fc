-- Per student x academic session: exam results only (exams taken, mean z, the school
-- and grade of the latest exam, per-subject means as a list). Kept apart from
-- student_term_profile so a new day of platform activity does not recompute them.
with results as (
    select
        r.student_sourced_id,
        r.academic_session,
        r.subject,
        r.exam_id,
        r.exam_date,
        r.grade,
        r.score_rate,
        r.z_score,
        sc.school_sourced_id
    from {{ ref('int_exam_student_results') }} as r
    left join {{ ref('int_exam_student_schools') }} as sc
        on sc.exam_id = r.exam_id and sc.student_sourced_id = r.student_sourced_id
),

by_subject as (
    select
        student_sourced_id,
        academic_session,
        subject,
        count(*) as exams,
        {{ exact_mean('score_rate') }} as mean_score_rate,
        {{ exact_mean('z_score') }} as mean_z_score
    from results
    group by student_sourced_id, academic_session, subject
),

overall as (
    select
        student_sourced_id,
        academic_session,
        count(*) as exams_taken,
        {{ exact_mean('z_score') }} as mean_z_score,
        max_by(school_sourced_id, exam_date) as school_sourced_id,
        max_by(grade, exam_date) as grade
    from results
    group by student_sourced_id, academic_session
),

subject_lists as (
    select
        student_sourced_id,
        academic_session,
        {{ ordered_list(make_struct([
            ('subject', 'subject'),
            ('exams', 'cast(exams as bigint)'),
            ('mean_score_rate', 'cast(mean_score_rate as double)'),
            ('mean_z_score', 'cast(mean_z_score as double)'),
        ]), 'subject') }} as subject_results
    from by_subject
    group by student_sourced_id, academic_session
)

select
    o.student_sourced_id,
    o.academic_session,
    o.exams_taken,
    o.mean_z_score,
    o.school_sourced_id,
    o.grade,
    sl.subject_results
from overall as o
left join subject_lists as sl
    on sl.student_sourced_id = o.student_sourced_id and sl.academic_session = o.academic_session
