{{ partitioned_by_exam() }}
{%- set exams = partition_exams() %}
-- Classical item analysis per exam item over present students. difficulty = mean item
-- score / max score (the p-value: higher = easier). discrimination = upper-lower 27%
-- index: the mean item score rate of the top 27% of students by exam total minus that of
-- the bottom 27% (group size ceil(0.27 n), ties in total broken by student id).
with totals as (
    select
        exam_id,
        student_sourced_id,
        row_number() over (partition by exam_id order by score desc, student_sourced_id) as rank_desc,
        row_number() over (partition by exam_id order by score asc, student_sourced_id desc) as rank_asc,
        ceil(0.27 * count(*) over (partition by exam_id)) as group_size
    from {{ ref('int_exam_student_results') }}
    where {{ partition_scope('exam_id', exams) }}
),

responses as (
    select
        i.exam_id,
        i.item_id,
        coalesce(i.score, 0) / i.max_score as item_rate,
        t.rank_desc <= t.group_size as in_upper,
        t.rank_asc <= t.group_size as in_lower
    from {{ ref('int_item_responses') }} as i
    inner join totals as t on t.exam_id = i.exam_id and t.student_sourced_id = i.student_sourced_id
    where i.status = 'present' and i.max_score > 0 and {{ partition_scope('i.exam_id', exams) }}
),

per_item as (
    select
        exam_id,
        item_id,
        count(*) as students,
        {{ exact_mean('item_rate') }} as difficulty,
        {{ exact_mean('item_rate', filter='in_upper') }} - {{ exact_mean('item_rate', filter='in_lower') }} as discrimination
    from responses
    group by exam_id, item_id
)

select
    it.exam_id,
    it.item_id,
    cast(it.max_score as double) as max_score,
    it.ability,
    it.knowledge_point_ids,
    -- an item answered by 1 .. min_cell - 1 students is suppressed (no line: one exam's items
    -- are not parts of a published total)
    cast({{ unless_suppressed('coalesce(p.students, 0)', is_small_cell('p.students')) }} as bigint) as students,
    cast({{ unless_suppressed('p.difficulty', is_small_cell('p.students')) }} as double) as difficulty,
    cast({{ unless_suppressed('p.discrimination', is_small_cell('p.students')) }} as double) as discrimination,
    cast(coalesce({{ is_small_cell('p.students') }}, false) as boolean) as suppressed
from {{ ref('stg_exams__items') }} as it
left join per_item as p on p.exam_id = it.exam_id and p.item_id = it.item_id
where {{ partition_scope('it.exam_id', exams) }}
