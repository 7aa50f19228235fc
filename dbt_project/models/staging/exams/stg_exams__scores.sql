-- One row per exam x student x item (latest delivery wins). status is lower-cased;
-- a score only counts for present rows (absent/exempt rows carry none).
select
    exam_id,
    "student_sourcedId" as student_sourced_id,
    item_id,
    case when lower(trim(status)) = 'present' then score end as score,
    lower(trim(status)) as status,
    _delivery,
    _landed_at
from {{ latest_by_key(bronze_relation('exams', 'exam_scores'), 'exam_id, "student_sourcedId", item_id', modified_col='"_landed_at"') }}
where exam_id is not null and "student_sourcedId" is not null
