{#- The body shared by class_term, school_term and district_term: per scope x academic
    session x subject, the results part (int_exam_scope_term_results: results, score-rate
    distribution, weakest knowledge points) joined with the engagement part
    (int_exam_scope_term_engagement), so a new day rebuilds only the engagement. Small
    cells are suppressed as int_exam_term_suppression decided: every measure of a
    suppressed row is null and `suppressed` is true. Returns a relation with scope_id,
    class_type, school_sourced_id, academic_session, subject, grade, the measures and
    suppressed. -#}
{% macro exam_term_summary(scope_type) -%}
(
select
    r.scope_id,
    r.class_type,
    r.school_sourced_id,
    r.academic_session,
    r.subject,
    r.grade,
    {%- for measure in ['r.students', 'r.mean_score_rate', 'r.mean_z_score', 'r.band_lt60', 'r.band_60_70',
                        'r.band_70_80', 'r.band_80_90', 'r.band_ge90'] %}
    {{ unless_suppressed(measure, 's.suppressed') }} as {{ measure[2:] }},
    {%- endfor %}
    {{ unless_suppressed('coalesce(e.mean_active_days, 0.0)', 's.suppressed') }} as mean_active_days,
    {{ unless_suppressed('coalesce(e.online_share, 0.0)', 's.suppressed') }} as online_share,
    {{ unless_suppressed('r.weak_points', 's.suppressed') }} as weak_points,
    s.suppressed
from {{ ref('int_exam_scope_term_results') }} as r
left join {{ ref('int_exam_scope_term_engagement') }} as e
    on e.scope_type = r.scope_type
   and e.scope_id = r.scope_id
   and e.class_type is not distinct from r.class_type
   and e.academic_session = r.academic_session
   and e.subject = r.subject
inner join {{ ref('int_exam_term_suppression') }} as s
    on s.cell_id = {{ exam_term_cell_id('r.scope_type', 'r.scope_id', 'r.class_type', 'r.academic_session', 'r.subject') }}
where r.scope_type = '{{ scope_type }}'
)
{%- endmacro %}
