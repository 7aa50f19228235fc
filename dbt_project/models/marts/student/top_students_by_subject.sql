{{ config(post_hook=["{{ export_parquet() }}"]) }}
-- Consistently top students per subject: top_students' cohort (one grade in one academic
-- session, the student's district's exams) narrowed to one subject's exams (e.g. grade
-- 12's four math sittings, the seed's "top 200 in all 4"). Same rules: exams_taken
-- (present), exams_in_top_n (district_rank <= top_n, ties at the boundary all in), in_all
-- (all K), in_all_but_one (at least K - 1); a student with exams of two districts in one
-- grade x session x subject belongs to the district of their latest such exam.
with cohort_exams as (
    select exam_id, org_sourced_id, grade, academic_session, subject, exam_date
    from {{ ref('stg_exams__exams') }}
    where grade is not null and academic_session is not null and org_sourced_id is not null
      and subject is not null
),

cohorts as (
    select org_sourced_id, grade, academic_session, subject, count(*) as cohort_exams
    from cohort_exams
    group by org_sourced_id, grade, academic_session, subject
),

results as (
    select
        ce.org_sourced_id,
        ce.grade,
        ce.academic_session,
        ce.subject,
        ce.exam_date,
        r.student_sourced_id,
        r.exam_id,
        r.district_rank,
        sc.school_sourced_id
    from cohort_exams as ce
    inner join {{ ref('int_exam_student_results') }} as r on r.exam_id = ce.exam_id
    left join {{ ref('int_exam_student_schools') }} as sc
        on sc.exam_id = r.exam_id and sc.student_sourced_id = r.student_sourced_id
),

per_district as (
    select
        org_sourced_id,
        grade,
        academic_session,
        subject,
        student_sourced_id,
        count(distinct exam_id) as exams_taken,
        count(distinct exam_id) filter (where district_rank <= {{ exam_top_n() }}) as exams_in_top_n,
        arg_max(school_sourced_id, exam_date) as school_sourced_id,
        max(exam_date) as last_exam_date
    from results
    group by org_sourced_id, grade, academic_session, subject, student_sourced_id
),

per_student as (
    select *
    from per_district
    qualify row_number() over (
        partition by grade, academic_session, subject, student_sourced_id
        order by last_exam_date desc nulls last, exams_taken desc, org_sourced_id desc
    ) = 1
)

select
    p.grade,
    p.academic_session,
    p.subject,
    {{ pseudonymize('p.student_sourced_id') }} as student_key,
    p.org_sourced_id,
    p.school_sourced_id,
    cast(c.cohort_exams as bigint) as cohort_exams,
    cast(p.exams_taken as bigint) as exams_taken,
    cast(p.exams_in_top_n as bigint) as exams_in_top_n,
    p.exams_in_top_n = c.cohort_exams as in_all,
    p.exams_in_top_n >= c.cohort_exams - 1 as in_all_but_one,
    cast({{ exam_top_n() }} as integer) as top_n
from per_student as p
inner join cohorts as c
    on c.org_sourced_id = p.org_sourced_id
   and c.grade = p.grade
   and c.academic_session = p.academic_session
   and c.subject = p.subject
