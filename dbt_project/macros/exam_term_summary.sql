{#- The body shared by class_term, school_term and district_term: per scope x academic
    session x subject, the present students' results (each student's mean over the
    subject's exams of the session), the score-rate distribution, the weakest knowledge
    points and engagement within the session's dates. Returns a relation with scope_id,
    class_type, school_sourced_id, academic_session, subject, grade and the measures. -#}
{% macro exam_term_summary(scope_type) -%}
(
with students as (
    select *
    from {{ ref('int_exam_scope_student_terms') }}
    where scope_type = '{{ scope_type }}'
),

weak as (
    select
        scope_id,
        academic_session,
        subject,
        list(
            struct_pack(kp_id := kp_id, kp_name := kp_name, items := cast(items as bigint), score_rate := cast(score_rate as double))
            order by weak_rank
        ) as weak_points
    from {{ ref('int_exam_scope_kp_rates') }}
    where scope_type = '{{ scope_type }}' and weak_rank <= {{ var('weak_point_count', 3) | int }}
    group by scope_id, academic_session, subject
),

summary as (
    select
        s.scope_id,
        s.class_type,
        max(s.school_sourced_id) as school_sourced_id,
        s.academic_session,
        s.subject,
        case when count(distinct s.grade) = 1 then max(s.grade) end as grade,
        cast(count(*) as bigint) as students,
        cast(avg(s.score_rate) as double) as mean_score_rate,
        cast(avg(s.z_score) as double) as mean_z_score,
        {{ exam_score_bands('s.score_rate') }},
        cast(avg(coalesce(a.active_days, 0)) as double) as mean_active_days,
        cast(avg(case when coalesce(a.active_days, 0) > 0 then 1.0 else 0.0 end) as double) as online_share
    from students as s
    left join {{ ref('int_exam_student_term_activity') }} as a
        on a.student_sourced_id = s.student_sourced_id and a.academic_session = s.academic_session
    group by s.scope_id, s.class_type, s.academic_session, s.subject
)

select
    summary.*,
    coalesce(weak.weak_points, []) as weak_points
from summary
left join weak
    on weak.scope_id = summary.scope_id
   and weak.academic_session = summary.academic_session
   and weak.subject = summary.subject
)
{%- endmacro %}
