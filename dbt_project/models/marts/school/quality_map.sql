-- Education quality map (教育质量地图): school x subject x exam, with the school's present
-- students, mean score and mean z-score in the exam, and change_in_mean_z since the
-- school's previous exam of the same subject (by exam_date, then exam_id; NULL for the
-- first). change_in_mean_z_same_grade is the same change within the school's exams of
-- the same subject and grade (the same cohort of students over time).
-- Small cells are suppressed in SQL, decided with class_exam's in int_exam_suppression
-- (a line is an exam's schools with the exam's district total; a school's row is the
-- total of its homerooms' rows). Changes are computed on the unsuppressed means, then
-- hidden where either end is.
with per_exam as (
    select school_sourced_id, subject, exam_id, exam_date, grade, academic_session,
        students, mean_score, mean_score_rate, mean_z
    from {{ ref('int_exam_scope_results') }}
    where scope_type = 'school'
),

suppression as (
    select cell_id, suppressed from {{ ref('int_exam_suppression') }}
),

changes as (
    select
        p.*,
        s.suppressed,
        p.mean_z - lag(p.mean_z) over w_subject as change_in_mean_z,
        lag(s.suppressed) over w_subject as previous_suppressed,
        p.mean_z - lag(p.mean_z) over w_grade as change_in_mean_z_same_grade,
        lag(s.suppressed) over w_grade as previous_suppressed_same_grade
    from per_exam as p
    inner join suppression as s
        on s.cell_id = {{ exam_cell_id("'school'", 'p.school_sourced_id', 'null', 'p.exam_id') }}
    window
        w_subject as (partition by p.school_sourced_id, p.subject order by p.exam_date, p.exam_id),
        w_grade as (partition by p.school_sourced_id, p.subject, p.grade order by p.exam_date, p.exam_id)
)

select
    p.school_sourced_id,
    o.org_name as school_name,
    p.subject,
    p.exam_id,
    p.exam_date,
    p.grade,
    p.academic_session,
    cast({{ unless_suppressed('p.students', 'p.suppressed') }} as bigint) as students,
    cast({{ unless_suppressed('p.mean_score', 'p.suppressed') }} as double) as mean_score,
    cast({{ unless_suppressed('p.mean_score_rate', 'p.suppressed') }} as double) as mean_score_rate,
    cast({{ unless_suppressed('p.mean_z', 'p.suppressed') }} as double) as mean_z,
    cast({{ unless_suppressed('p.change_in_mean_z', 'p.suppressed or coalesce(p.previous_suppressed, false)') }} as double)
        as change_in_mean_z,
    cast({{ unless_suppressed('p.change_in_mean_z_same_grade', 'p.suppressed or coalesce(p.previous_suppressed_same_grade, false)') }}
        as double) as change_in_mean_z_same_grade,
    cast(p.suppressed as boolean) as suppressed
from changes as p
left join {{ ref('stg_roster__orgs') }} as o on o.org_sourced_id = p.school_sourced_id
