-- Per scope (class | school | district) x academic session x subject: the present
-- students' results (each student's mean over the subject's exams of the session), the
-- score-rate distribution and the weakest knowledge points. Exam data only, so a new day
-- of platform activity does not rebuild it; engagement is int_exam_scope_term_engagement.
with weak as (
    select
        scope_type,
        scope_id,
        academic_session,
        subject,
        {{ ordered_list(make_struct([('kp_id', 'kp_id'), ('kp_name', 'kp_name'),
            ('items', 'cast(items as bigint)'), ('score_rate', 'cast(score_rate as double)')]), 'weak_rank') }} as weak_points
    from {{ ref('int_exam_scope_kp_rates') }}
    where weak_rank <= {{ var('weak_point_count', 3) | int }}
    group by scope_type, scope_id, academic_session, subject
),

summary as (
    select
        scope_type,
        scope_id,
        class_type,
        max(school_sourced_id) as school_sourced_id,
        academic_session,
        subject,
        case when count(distinct grade) = 1 then max(grade) end as grade,
        cast(count(*) as bigint) as students,
        {{ exact_mean('score_rate') }} as mean_score_rate,
        {{ exact_mean('z_score') }} as mean_z_score,
        {{ exam_score_bands('score_rate') }}
    from {{ ref('int_exam_scope_student_terms') }}
    group by scope_type, scope_id, class_type, academic_session, subject
)

select
    summary.*,
    coalesce(weak.weak_points, {{ fn('list_value') }}()) as weak_points
from summary
left join weak
    on weak.scope_type = summary.scope_type
   and weak.scope_id = summary.scope_id
   and weak.academic_session = summary.academic_session
   and weak.subject = summary.subject
