{{ partitioned_by_exam() }}
{%- set exams = partition_exams() %}
-- Which per-exam rows of quality_map (schools) and class_exam (classes) are suppressed,
-- decided once for both (macro suppress_small_cells) so no figure one hides can be
-- recovered from the other. Lines, per exam: the exam's district-wide present count
-- (exam_summary.students_present) is the total of its schools' rows; a school's row is
-- the total of its homerooms' rows (each student has one homeroom). Scheduled classes
-- overlap the homerooms and are suppressed on their own size only, as in
-- int_exam_term_suppression. Every line lies within one exam, so the model is
-- partitioned by exam: a run decides the exams it asks for.
with results as (
    select scope_type, scope_id, class_type, school_sourced_id, exam_id, students
    from {{ ref('int_exam_scope_results') }}
    where {{ partition_scope('exam_id', exams) }}
),

exam_totals as (
    select exam_id, count(*) as students
    from {{ ref('int_exam_student_results') }}
    where {{ partition_scope('exam_id', exams) }}
    group by exam_id
),

cells as (
    select
        {{ exam_cell_id('scope_type', 'scope_id', 'class_type', 'exam_id') }} as cell_id,
        case
            when scope_type = 'class' and class_type = 'homeroom' then exam_id || '|school:' || school_sourced_id
            when scope_type = 'school' then exam_id || '|exam'
        end as line_id,
        case when scope_type = 'school' then exam_id || '|school:' || scope_id end as total_of,
        students as size,
        exam_id
    from results
    union all
    select exam_id || '|exam', null, exam_id || '|exam', students, exam_id
    from exam_totals
),

{{ suppress_small_cells('cells') }}

select s.cell_id, c.exam_id, s.suppressed
from suppression as s
inner join (select distinct cell_id, exam_id from cells) as c on c.cell_id = s.cell_id
