-- Weak knowledge points per class (班级薄弱点): class x academic session x subject x kp
-- with its score rate and weak_rank (1 = lowest score rate among the class's kps with at
-- least var weak_point_min_items items). Kps with fewer items are left out. A class whose
-- class_term row is suppressed (int_exam_term_suppression) has its rates and ranks hidden.
select
    k.scope_id as class_sourced_id,
    c.class_type,
    c.school_sourced_id,
    k.academic_session,
    k.subject,
    k.kp_id,
    k.kp_name,
    cast(k.items as bigint) as items,
    cast({{ unless_suppressed('k.responses', 's.suppressed') }} as bigint) as responses,
    cast({{ unless_suppressed('k.score_rate', 's.suppressed') }} as double) as score_rate,
    cast({{ unless_suppressed('k.weak_rank', 's.suppressed') }} as bigint) as weak_rank,
    cast(coalesce(s.suppressed, false) as boolean) as suppressed
from {{ ref('int_exam_scope_kp_rates') }} as k
left join {{ ref('stg_roster__classes') }} as c on c.class_sourced_id = k.scope_id
left join {{ ref('int_exam_term_suppression') }} as s
    on s.cell_id = {{ exam_term_cell_id("'class'", 'k.scope_id', 'c.class_type', 'k.academic_session', 'k.subject') }}
where k.scope_type = 'class' and k.weak_rank is not null
