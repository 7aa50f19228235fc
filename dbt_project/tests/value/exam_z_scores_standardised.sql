-- What it means: within every exam the present students' z-scores must average 0 and,
-- when the exam's population sd is above 0, have population sd 1 (when it is 0 every
-- z-score must be 0). A row returned names an exam whose z-scores are not standardised.
-- How to fix: check int_exam_student_results: the mean and stddev_pop must be taken over
-- the same present students as the z-scores (absent/exempt excluded, one row per student
-- per exam); duplicates in stg_exams__scores or a sample sd (stddev_samp) break this.
with z as (
    select
        exam_id,
        count(*) as students,
        avg(z_score) as mean_z,
        stddev_pop(z_score) as sd_z,
        max(abs(z_score)) as max_abs_z
    from {{ ref('student_exam') }}
    group by exam_id
)

select z.*, s.sd_score
from z
inner join {{ ref('exam_summary') }} as s on s.exam_id = z.exam_id
where abs(z.mean_z) > 1e-9
   or (s.sd_score > 0 and abs(z.sd_z - 1) > 1e-9)
   or (coalesce(s.sd_score, 0) = 0 and z.max_abs_z <> 0)
