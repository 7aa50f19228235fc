-- Knowledge-point mastery (知识图谱) per student: every present item response counts once
-- for each knowledge point of its item; score_rate = sum score / sum max score, banded by
-- the dbt vars mastery_thresholds and mastery_min_items (macro exam_mastery_level).
with responses as (
    select
        student_sourced_id,
        subject,
        unnest(knowledge_point_ids) as kp_id,
        coalesce(score, 0) as score,
        max_score
    from {{ ref('int_item_responses') }}
    where status = 'present' and max_score > 0
),

per_kp as (
    select
        student_sourced_id,
        kp_id,
        min(subject) as exam_subject,
        count(*) as items,
        sum(score) / sum(max_score) as score_rate
    from responses
    group by student_sourced_id, kp_id
)

select
    {{ pseudonymize('p.student_sourced_id') }} as student_key,
    p.kp_id,
    coalesce(kp.subject, p.exam_subject) as subject,
    kp.kp_name,
    cast(p.items as bigint) as items,
    cast(p.score_rate as double) as score_rate,
    {{ exam_mastery_level('p.score_rate', 'p.items') }} as mastery_level
from per_kp as p
left join {{ ref('stg_catalog__knowledge_points') }} as kp on kp.kp_id = p.kp_id
