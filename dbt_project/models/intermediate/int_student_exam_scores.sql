{{ partitioned_by_exam() }}
{%- set exams = partition_exams() %}
-- One row per exam x student: the student's status in the exam and the total score.
-- A student counts as present when any of their rows is present (then exempt, else
-- absent); the total is the sum of present item scores and max_score is the exam's
-- (sum of its items' max scores), the same for everyone in the exam.
with per_student as (
    select
        exam_id,
        student_sourced_id,
        case
            when bool_or(status = 'present') then 'present'
            when bool_or(status = 'exempt') then 'exempt'
            else 'absent'
        end as status,
        {{ exact_sum('score', filter="status = 'present'") }} as item_score_sum,
        count(*) filter (where status = 'present') as items_scored
    from {{ ref('stg_exams__scores') }}
    where {{ partition_scope('exam_id', exams) }}
    group by exam_id, student_sourced_id
),

exam_max as (
    select exam_id, {{ exact_sum('max_score') }} as max_score, count(*) as items
    from {{ ref('stg_exams__items') }}
    where {{ partition_scope('exam_id', exams) }}
    group by exam_id
)

select
    e.exam_id,
    p.student_sourced_id,
    e.kind,
    e.subject,
    e.grade,
    e.academic_session,
    e.exam_date,
    e.org_sourced_id,
    p.status,
    case when p.status = 'present' then coalesce(p.item_score_sum, 0) end as score,
    m.max_score,
    case when p.status = 'present' and m.max_score > 0
         then coalesce(p.item_score_sum, 0) / m.max_score end as score_rate,
    p.items_scored
from per_student as p
inner join {{ ref('stg_exams__exams') }} as e on e.exam_id = p.exam_id
left join exam_max as m on m.exam_id = e.exam_id
