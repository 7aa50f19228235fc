-- One row per exam item, from the exam's latest delivery (a correction is the whole exam
-- again: macro latest_exam_delivery), with its knowledge points as a list and its ability
-- dimension (A1..C3, upper-cased).
with delivered as (
    select * from {{ bronze_relation('exams', 'exam_items') }} as b
),

latest as (
    select * from {{ latest_exam_delivery('delivered') }}
)

select
    exam_id,
    item_id,
    max_score,
    coalesce(
        filter({{ fn('list_transform') }}(knowledge_point_ids, {{ lambda('k') }} nullif(trim(k), '')), {{ lambda('k') }} k is not null),
        {{ fn('list_value') }}()::{{ type_string_list() }}
    ) as knowledge_point_ids,
    upper(nullif(trim(ability), '')) as ability,
    _delivery,
    _landed_at
from {{ latest_by_key('latest', 'exam_id, item_id', modified_col='_landed_at') }}
where exam_id is not null and item_id is not null
