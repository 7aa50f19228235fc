-- Consistently top students per subject: top_students' cohort (one grade in one academic
-- session, the student's district) over one subject's exams (e.g. grade 12's four math
-- exams, one per sitting). Same rules: exams_taken (present), exams_in_top_n
-- (district_rank <= top_n, ties at the boundary all in), in_all (all K), in_all_but_one
-- (at least K - 1); a student with exams of two districts in one grade x session x
-- subject belongs to the district of their latest such exam.
with top_units as (
    select exam_id as unit_id, org_sourced_id, grade, academic_session, subject, exam_date
    from {{ ref('stg_exams__exams') }}
),

top_results as (
    select r.exam_id as unit_id, r.student_sourced_id, r.district_rank, sc.school_sourced_id
    from {{ ref('int_exam_student_results') }} as r
    left join {{ ref('int_exam_student_schools') }} as sc
        on sc.exam_id = r.exam_id and sc.student_sourced_id = r.student_sourced_id
),

{{ top_students_over('top_units', 'top_results', extra_keys=['subject'], unit='exam') }}
