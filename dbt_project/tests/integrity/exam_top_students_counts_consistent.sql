-- What it means: top_students (sittings) and top_students_by_subject (exams) must agree
-- with themselves, and top_students_by_subject with student_exam: for each row
-- <unit>s_in_top_n <= <unit>s_taken <= cohort_<unit>s, in_all is exactly in_top_n = K,
-- in_all_but_one exactly in_top_n >= K - 1, and for each grade x session x subject x
-- student the counts equal those recomputed from student_exam (district_rank <= top_n)
-- over the subject's exams of the student's district (that of their latest exam there),
-- with no student missing or extra. How to fix: rebuild the marts from the same exams as
-- exam_summary; a mismatch with student_exam means the cohort's exam set (org, grade,
-- session, subject) or the top_n var differ.
with per_district as (
    select
        es.org_sourced_id,
        es.grade,
        es.academic_session,
        es.subject,
        se.student_key,
        count(*) as exams_taken,
        count(*) filter (where se.district_rank <= {{ exam_top_n() }}) as exams_in_top_n,
        max(es.exam_date) as last_exam_date
    from {{ ref('student_exam') }} as se
    inner join {{ ref('exam_summary') }} as es on es.exam_id = se.exam_id
    where es.org_sourced_id is not null and es.grade is not null and es.academic_session is not null
    group by es.org_sourced_id, es.grade, es.academic_session, es.subject, se.student_key
),

recomputed as (
    select *
    from per_district
    qualify row_number() over (
        partition by grade, academic_session, subject, student_key
        order by last_exam_date desc nulls last, exams_taken desc, org_sourced_id desc
    ) = 1
),

both_marts as (
    -- a sitting is top_students' unit, an exam top_students_by_subject's: same rules
    select org_sourced_id, grade, academic_session, student_key, cohort_sittings as cohort_exams,
        sittings_taken as exams_taken, sittings_in_top_n as exams_in_top_n, in_all, in_all_but_one, top_n
    from {{ ref('top_students') }}
    union all
    select org_sourced_id, grade, academic_session, student_key, cohort_exams, exams_taken,
        exams_in_top_n, in_all, in_all_but_one, top_n
    from {{ ref('top_students_by_subject') }}
),

self_inconsistent as (
    select 'self' as problem, org_sourced_id, grade, academic_session, student_key
    from both_marts
    where exams_in_top_n > exams_taken
       or exams_taken > cohort_exams
       or exams_taken < 1
       or in_all <> (exams_in_top_n = cohort_exams)
       or in_all_but_one <> (exams_in_top_n >= cohort_exams - 1)
       or top_n <> {{ exam_top_n() }}
),

mismatched as (
    select
        'vs_student_exam' as problem,
        coalesce(m.org_sourced_id, r.org_sourced_id) as org_sourced_id,
        coalesce(m.grade, r.grade) as grade,
        coalesce(m.academic_session, r.academic_session) as academic_session,
        coalesce(m.student_key, r.student_key) as student_key
    from {{ ref('top_students_by_subject') }} as m
    full outer join recomputed as r
        on r.grade = m.grade
       and r.academic_session = m.academic_session
       and r.subject = m.subject
       and r.student_key = m.student_key
    where m.student_key is null or r.student_key is null
       or m.org_sourced_id <> r.org_sourced_id
       or m.exams_taken <> r.exams_taken
       or m.exams_in_top_n <> r.exams_in_top_n
)

select * from self_inconsistent
union all
select * from mismatched
