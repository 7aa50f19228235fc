-- Re-checks the exam marts' suppression from their own published rows, independently of
-- macro suppress_small_cells: per exam, the exam's total (exam_summary) with its schools'
-- rows (quality_map), and each school's row with its homerooms' rows (class_exam). No line
-- may hold exactly one suppressed row, and no shown row may count 1 .. min_cell - 1
-- students. Returns offending lines.
with members as (
    select 'exam' as line_kind, e.exam_id, 'exam' as line_org, e.suppressed, e.students_present as size
    from {{ ref('exam_summary') }} as e
    union all
    select 'exam', q.exam_id, 'exam', q.suppressed, q.students from {{ ref('quality_map') }} as q
    union all
    select 'school', q.exam_id, q.school_sourced_id, q.suppressed, q.students from {{ ref('quality_map') }} as q
    union all
    select 'school', c.exam_id, c.school_sourced_id, c.suppressed, c.students
    from {{ ref('class_exam') }} as c where c.class_type = 'homeroom' and c.school_sourced_id is not null
),

lines as (
    select line_kind, exam_id, line_org,
        count(*) filter (where suppressed) as hidden,
        count(*) filter (where not suppressed and size > 0 and size < {{ min_cell() }}) as small_shown
    from members
    group by line_kind, exam_id, line_org
)

select * from lines where hidden = 1 or small_shown > 0
