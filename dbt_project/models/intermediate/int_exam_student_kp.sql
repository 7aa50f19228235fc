-- Student x knowledge point: the exam evidence of student_knowledge, every present exam
-- item response once for each knowledge point of its item. Its own table because it
-- changes only when exams land: a new day of micro-tests rebuilds student_knowledge from
-- this (3.8 M rows at a district) instead of unnesting 6.5 M item responses again.
select
    student_sourced_id,
    kp_id,
    min(subject) as exam_subject,
    count(*) as items,
    {{ exact_sum('score') }} as score,
    {{ exact_sum('max_score') }} as max_score
from (
    select
        student_sourced_id,
        subject,
        {{ fn('unnest') }}(knowledge_point_ids) as kp_id,
        coalesce(score, 0) as score,
        max_score
    from {{ ref('int_item_responses') }}
    where status = 'present' and max_score > 0
) as responses
group by student_sourced_id, kp_id
