-- One row per exam item (latest delivery wins), with its knowledge points as a list and
-- its ability dimension (A1..C3, upper-cased).
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
from {{ latest_by_key(bronze_relation('exams', 'exam_items'), 'exam_id, item_id', modified_col='_landed_at') }}
where exam_id is not null and item_id is not null
