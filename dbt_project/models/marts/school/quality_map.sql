{{ config(post_hook=["{{ export_parquet() }}"]) }}
-- Education quality map (教育质量地图): school x subject x exam, with the school's present
-- students, mean score and mean z-score in the exam, and change_in_mean_z since the
-- school's previous exam of the same subject (by exam_date, then exam_id; NULL for the
-- first). change_in_mean_z_same_grade is the same change within the school's exams of
-- the same subject and grade (the same cohort of students over time).
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
)

select
    p.school_sourced_id,
    o.org_name as school_name,
    p.subject,
    p.exam_id,
    p.exam_date,
    p.grade,
    p.academic_session,
    cast(p.students as bigint) as students,
    cast(p.mean_score as double) as mean_score,
    cast(p.mean_score_rate as double) as mean_score_rate,
    cast(p.mean_z as double) as mean_z,
    cast(p.mean_z - lag(p.mean_z) over (
        partition by p.school_sourced_id, p.subject order by p.exam_date, p.exam_id
    ) as double) as change_in_mean_z,
    cast(p.mean_z - lag(p.mean_z) over (
        partition by p.school_sourced_id, p.subject, p.grade order by p.exam_date, p.exam_id
    ) as double) as change_in_mean_z_same_grade
from per_exam as p
left join {{ ref('stg_roster__orgs') }} as o on o.org_sourced_id = p.school_sourced_id
