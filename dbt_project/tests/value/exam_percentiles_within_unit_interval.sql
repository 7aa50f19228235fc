-- What it means: percentile is DuckDB percent_rank() by score ascending: for an exam of n
-- present students it is (number of students with a strictly lower score) / (n - 1), so
-- it lies in 0..1, equal scores share one value, the lowest score has 0, and a lone
-- student has 0. A row returned is a score of an exam that breaks this.
-- How to fix: int_exam_student_results must compute percent_rank() over the present
-- students of the exam ordered by score asc (not desc, not cume_dist), with absent and
-- exempt students excluded.
with by_score as (
    select
        exam_id,
        score,
        count(*) as students_at_score,
        min(percentile) as min_pct,
        max(percentile) as max_pct
    from {{ ref('student_exam') }}
    group by exam_id, score
),

expected as (
    select
        *,
        sum(students_at_score) over (partition by exam_id) as students,
        coalesce(sum(students_at_score) over (
            partition by exam_id order by score asc
            rows between unbounded preceding and 1 preceding
        ), 0) as students_below
    from by_score
)

select *
from expected
where min_pct < 0 or max_pct > 1
   or min_pct <> max_pct
   or abs(min_pct - case when students > 1 then students_below / (students - 1) else 0 end) > 1e-12
