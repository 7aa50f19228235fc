-- Knowledge-point mastery (知识图谱) per student, from two kinds of evidence: every
-- present exam item response counts once for each knowledge point of its item, and every
-- micro-test item answered on the platform once for each knowledge point it maps to
-- (int_microtest_kp_daily; the exam side is int_exam_student_kp). score_rate = points
-- scored / points possible over both, so an item weighs by its points wherever it was answered; banded by the dbt vars
-- mastery_thresholds and mastery_min_items (macro exam_mastery_level) on the total evidence.
-- Too little evidence is its own level, 'insufficient', never a low score.
with exam_kp as (
    select * from {{ ref('int_exam_student_kp') }}
),

microtest_kp as (
    select student_sourced_id, kp_id, sum(items) as items, {{ exact_sum('score') }} as score, {{ exact_sum('max_score') }} as max_score
    from {{ ref('int_microtest_kp_daily') }}
    group by student_sourced_id, kp_id
    having sum(items) > 0
),

per_kp as (
    select
        coalesce(e.student_sourced_id, m.student_sourced_id) as student_sourced_id,
        coalesce(e.kp_id, m.kp_id) as kp_id,
        e.exam_subject,
        coalesce(e.items, 0) as exam_items,
        coalesce(m.items, 0) as microtest_items,
        (coalesce(e.score, 0) + coalesce(m.score, 0))
            / nullif(coalesce(e.max_score, 0) + coalesce(m.max_score, 0), 0) as score_rate
    from exam_kp as e
    full outer join microtest_kp as m on m.student_sourced_id = e.student_sourced_id and m.kp_id = e.kp_id
),

-- one key per student (30 k at a district), not one HMAC per row (4 M)
student_keys as (
    {{ keyed_students('per_kp') }}
)

select
    k.student_key,
    p.kp_id,
    coalesce(kp.subject, p.exam_subject) as subject,
    kp.kp_name,
    cast(p.exam_items + p.microtest_items as bigint) as items,
    cast(p.score_rate as double) as score_rate,
    {{ exam_mastery_level('p.score_rate', 'p.exam_items + p.microtest_items') }} as mastery_level,
    cast(p.exam_items as bigint) as exam_items,
    cast(p.microtest_items as bigint) as microtest_items
from per_kp as p
left join student_keys as k on k.student_sourced_id = p.student_sourced_id
left join {{ ref('stg_catalog__knowledge_points') }} as kp on kp.kp_id = p.kp_id
{{ stored_in_student_key_order('k.key_order') }}
