-- Knowledge-point score rates per scope (class | school | district) x academic session x
-- subject x kp: items (distinct exam items on the kp), responses (present student-item
-- answers) and score_rate = sum score / sum max. weak_rank ranks the kps of a scope,
-- session and subject from the lowest score rate (1 = weakest), only among kps with at
-- least var weak_point_min_items items (others get NULL): the weak points (薄弱点).
-- Answers are summed per scope x item first and only then spread over the item's
-- knowledge points, so the big join never carries the kp lists.
with per_item as (
    select
        s.scope_type,
        s.scope_id,
        r.academic_session,
        r.subject,
        r.exam_id,
        r.item_id,
        count(*) as responses,
        {{ exact_sum('coalesce(r.score, 0)') }} as score,
        {{ exact_sum('r.max_score') }} as max_score
    from {{ ref('int_item_responses') }} as r
    inner join {{ ref('int_exam_student_scopes') }} as s
        on s.exam_id = r.exam_id and s.student_sourced_id = r.student_sourced_id
    where r.status = 'present' and r.max_score > 0
    group by s.scope_type, s.scope_id, r.academic_session, r.subject, r.exam_id, r.item_id
),

per_kp as (
    select p.*, {{ fn('unnest') }}(i.knowledge_point_ids) as kp_id
    from per_item as p
    inner join {{ ref('stg_exams__items') }} as i on i.exam_id = p.exam_id and i.item_id = p.item_id
),

rates as (
    select
        scope_type,
        scope_id,
        academic_session,
        subject,
        kp_id,
        count(*) as items,
        sum(responses) as responses,
        {{ exact_sum('score') }} / {{ exact_sum('max_score') }} as score_rate
    from per_kp
    group by scope_type, scope_id, academic_session, subject, kp_id
)

select
    rates.*,
    kp.kp_name,
    case when rates.items >= {{ var('weak_point_min_items', 2) | int }} then
        row_number() over (
            partition by rates.scope_type, rates.scope_id, rates.academic_session, rates.subject,
                         rates.items >= {{ var('weak_point_min_items', 2) | int }}
            order by rates.score_rate asc, rates.kp_id
        )
    end as weak_rank
from rates
left join {{ ref('stg_catalog__knowledge_points') }} as kp on kp.kp_id = rates.kp_id
