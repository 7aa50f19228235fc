{{ config(post_hook=["{{ export_parquet() }}"]) }}
-- Weak knowledge points per class (班级薄弱点): class x academic session x subject x kp
-- with its score rate and weak_rank (1 = lowest score rate among the class's kps with at
-- least var weak_point_min_items items). Kps with fewer items are left out.
select
    k.scope_id as class_sourced_id,
    c.class_type,
    c.school_sourced_id,
    k.academic_session,
    k.subject,
    k.kp_id,
    k.kp_name,
    cast(k.items as bigint) as items,
    cast(k.responses as bigint) as responses,
    cast(k.score_rate as double) as score_rate,
    cast(k.weak_rank as bigint) as weak_rank
from {{ ref('int_exam_scope_kp_rates') }} as k
left join {{ ref('stg_roster__classes') }} as c on c.class_sourced_id = k.scope_id
where k.scope_type = 'class' and k.weak_rank is not null
