-- What it means: exam_summary's students_present and mean_score must equal what
-- student_exam holds for the exam (one row per present student), and every exam of
-- student_exam must be in exam_summary. An exam sat by fewer than min_cell students is
-- published without its figures (suppressed): only its presence is compared. A row
-- returned is an exam where they disagree.
-- How to fix: both marts come from int_student_exam_scores; a difference means one of
-- them filters status differently or student_exam lost/duplicated students in a join
-- (int_exam_student_schools must stay one row per exam x student).
with per_exam as (
    select exam_id, count(*) as students, avg(score) as mean_score
    from {{ ref('student_exam') }}
    group by exam_id
)

select
    coalesce(s.exam_id, p.exam_id) as exam_id,
    s.students_present,
    p.students,
    s.mean_score,
    p.mean_score as student_exam_mean
from {{ ref('exam_summary') }} as s
full outer join per_exam as p on p.exam_id = s.exam_id
where s.exam_id is null
   or (not s.suppressed and (
       coalesce(p.students, 0) <> s.students_present
       or abs(coalesce(p.mean_score, 0) - coalesce(s.mean_score, 0)) > 1e-9))
