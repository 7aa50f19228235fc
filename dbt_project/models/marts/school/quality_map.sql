{{ config(post_hook=["{{ export_parquet() }}"]) }}
-- Education quality map (教育质量地图): school x subject x exam, with the school's present
-- students, mean score and mean z-score in the exam, and change_in_mean_z since the
-- school's previous exam of the same subject (by exam_date, then exam_id; NULL for the
-- first). change_in_mean_z_same_grade is the same change within the school's exams of
-- the same subject and grade (the same cohort of students over time).
-- Small cells are suppressed in SQL (macro suppress_small_cells): a line is an exam's
-- schools with the exam's district total (exam_summary.students_present) as its total.
-- Changes are computed on the unsuppressed means, then hidden where either end is.
with per_exam as (
    select
        sc.school_sourced_id,
        r.subject,
        r.exam_id,
        r.exam_date,
        r.grade,
        r.academic_session,
        count(*) as students,
        avg(r.score) as mean_score,
        avg(r.score_rate) as mean_score_rate,
        avg(r.z_score) as mean_z
    from {{ ref('int_exam_student_results') }} as r
    inner join {{ ref('int_exam_student_schools') }} as sc
        on sc.exam_id = r.exam_id and sc.student_sourced_id = r.student_sourced_id
    where sc.school_sourced_id is not null
    group by sc.school_sourced_id, r.subject, r.exam_id, r.exam_date, r.grade, r.academic_session
),

exam_totals as (
    select exam_id, count(*) as students from {{ ref('int_exam_student_results') }} group by exam_id
),

cells as (
    select 'school:' || school_sourced_id || '|' || exam_id as cell_id, 'exam:' || exam_id as line_id,
        null as total_of, students as size
    from per_exam
    union all
    select 'exam:' || exam_id, null, 'exam:' || exam_id, students
    from exam_totals
),

{{ suppress_small_cells('cells') }},

changes as (
    select
        p.*,
        s.suppressed,
        p.mean_z - lag(p.mean_z) over w_subject as change_in_mean_z,
        lag(s.suppressed) over w_subject as previous_suppressed,
        p.mean_z - lag(p.mean_z) over w_grade as change_in_mean_z_same_grade,
        lag(s.suppressed) over w_grade as previous_suppressed_same_grade
    from per_exam as p
    inner join suppression as s on s.cell_id = 'school:' || p.school_sourced_id || '|' || p.exam_id
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
