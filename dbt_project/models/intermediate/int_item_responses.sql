{{ partitioned_by_exam() }}
{%- set exams = partition_exams() %}
-- One row per exam x student x item: the score joined to the item (max score, knowledge
-- points, ability) and to the exam. Absent/exempt rows stay (score NULL) so status is
-- visible; every statistic downstream filters status = 'present'.
select
    s.exam_id,
    s.student_sourced_id,
    s.item_id,
    s.status,
    s.score,
    i.max_score,
    coalesce(i.knowledge_point_ids, {{ fn('list_value') }}()::{{ type_string_list() }}) as knowledge_point_ids,
    i.ability,
    e.subject,
    e.grade,
    e.academic_session,
    e.exam_date
from {{ ref('stg_exams__scores') }} as s
inner join {{ ref('stg_exams__exams') }} as e on e.exam_id = s.exam_id
left join {{ ref('stg_exams__items') }} as i on i.exam_id = s.exam_id and i.item_id = s.item_id
where {{ partition_scope('s.exam_id', exams) }}
