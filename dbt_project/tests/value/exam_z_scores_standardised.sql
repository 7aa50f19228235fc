-- What it means: within every exam the present students' z-scores must average 0 and,
-- when their scores differ, have population sd 1 (when every score is equal every
-- z-score must be 0). A row returned names an exam whose z-scores are not standardised.
-- Whether scores differ is read from student_exam itself: exam_summary publishes no sd
-- for an exam sat by fewer than min_cell students.
-- How to fix: check int_exam_student_results: the mean and stddev_pop must be taken over
-- the same present students as the z-scores (absent/exempt excluded, one row per student
-- per exam); duplicates in stg_exams__scores or a sample sd (stddev_samp) break this.
with z as (
    select
        exam_id,
        count(*) as students,
        avg(z_score) as mean_z,
        stddev_pop(z_score) as sd_z,
        max(abs(z_score)) as max_abs_z,
        max(score) > min(score) as scores_differ
    from {{ ref('student_exam') }}
    group by exam_id
)

select z.*
from z
where abs(z.mean_z) > 1e-9
   or (z.scores_differ and abs(z.sd_z - 1) > 1e-9)
   or (not z.scores_differ and z.max_abs_z <> 0)
