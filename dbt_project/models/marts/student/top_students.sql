-- Consistently top students (尖端生) as seed 000 counts them ("高三4次成绩"): a cohort is one
-- grade in one academic session of the student's district; its units are that grade's
-- sittings of that session (一次统考, stg_exams__exams.sitting_id; K = cohort_sittings),
-- ranked by each sitting's total score within the organising district
-- (int_exam_sitting_results). One row per grade x academic_session x student_key for
-- every student ranked in at least one cohort sitting: sittings_taken (with a total),
-- sittings_in_top_n (district_rank <= top_n, so a tie at the boundary keeps everyone
-- tied), in_all (top N in all K) and in_all_but_one (top N in at least K - 1). A student
-- ranked in two districts in one grade x session (a move) belongs to the district of
-- their latest sitting there. The per-subject view: top_students_by_subject.
with top_units as (
    select sitting_id as unit_id, any_value(org_sourced_id) as org_sourced_id, any_value(grade) as grade,
        any_value(academic_session) as academic_session, min(exam_date) as exam_date
    from {{ ref('stg_exams__exams') }}
    where grade is not null and academic_session is not null and org_sourced_id is not null
    group by sitting_id
),

top_results as (
    select sitting_id as unit_id, student_sourced_id, district_rank, school_sourced_id
    from {{ ref('int_exam_sitting_results') }}
),

{{ top_students_over('top_units', 'top_results', unit='sitting') }}
