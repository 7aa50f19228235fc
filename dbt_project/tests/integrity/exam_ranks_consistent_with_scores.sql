-- What it means: district_rank must be the standard competition rank by score
-- descending: students with the same score share one rank, and that rank is 1 + the
-- number of present students of the exam with a strictly higher score (1, 2, 2, 4). A
-- row returned is a score of an exam whose ranks break this.
-- How to fix: int_exam_student_results must use rank() (not dense_rank/row_number) over
-- the present students of the exam ordered by score desc; look for duplicate students
-- or non-present rows leaking into the ranking.
with by_score as (
    select
        exam_id,
        score,
        count(*) as students_at_score,
        min(district_rank) as min_rank,
        max(district_rank) as max_rank
    from {{ ref('student_exam') }}
    group by exam_id, score
),

expected as (
    select
        *,
        1 + coalesce(sum(students_at_score) over (
            partition by exam_id order by score desc
            rows between unbounded preceding and 1 preceding
        ), 0) as expected_rank
    from by_score
)

select *
from expected
where min_rank <> max_rank or min_rank <> expected_rank
