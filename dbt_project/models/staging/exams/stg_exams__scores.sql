{{ partitioned_by_exam() }}
{%- set exams = partition_exams() %}
-- One row per exam x student x item, from the exam's latest delivery (a correction is the
-- whole exam again: macro latest_exam_delivery). status is lower-cased; a score only
-- counts for present rows (absent/exempt rows carry none). Exam-partitioned in Dagster: a
-- run rebuilds the requested exams whole from every delivery (all exams on a full build
-- or without partition_exams).
with delivered as (
    select * from {{ bronze_relation('exams', 'exam_scores') }} as b where {{ partition_scope('exam_id', exams) }}
),

latest as (
    select * from {{ latest_exam_delivery('delivered') }}
)

select
    exam_id,
    student_sourcedId as student_sourced_id,
    item_id,
    case when lower(trim(status)) = 'present' then score end as score,
    lower(trim(status)) as status,
    _delivery,
    _landed_at
from {{ latest_by_key('latest', 'exam_id, student_sourcedId, item_id', modified_col='_landed_at') }}
where exam_id is not null and student_sourcedId is not null
