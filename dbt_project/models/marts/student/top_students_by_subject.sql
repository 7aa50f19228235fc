-- Consistently top students per subject: top_students' cohort (one grade in one academic
-- session, the student's district's exams) narrowed to one subject's exams (e.g. grade
-- 12's four math sittings, the seed's "top 200 in all 4"). Same rules: exams_taken
-- (present), exams_in_top_n (district_rank <= top_n, ties at the boundary all in), in_all
-- (all K), in_all_but_one (at least K - 1); a student with exams of two districts in one
-- grade x session x subject belongs to the district of their latest such exam.
{{ top_students_over(['subject']) }}
