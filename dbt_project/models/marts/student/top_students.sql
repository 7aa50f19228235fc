-- Consistently top students (尖端生), docs/domain.md to the letter: a cohort is one grade in one
-- academic session; its exams are that grade's exams of that session (K = cohort_exams),
-- as set by the student's district (org_sourced_id, the exams' organising org: "top N of
-- the district", so ranks are within it). One row per grade x academic_session x
-- student_key for every student present in at least one cohort exam: exams_taken
-- (present), exams_in_top_n (district_rank <= top_n, so a tie at the boundary keeps
-- everyone tied), in_all (top N in all K) and in_all_but_one (top N in at least K - 1).
-- A student who sat exams of two districts in one grade x session (a move) belongs to the
-- district of their latest exam there. Per-subject cohorts: top_students_by_subject.
{{ top_students_over() }}
