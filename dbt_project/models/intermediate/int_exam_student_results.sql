{{ partitioned_by_exam() }}
{%- set exams = partition_exams() %}
-- Present students of each exam with the exam statistics of docs/domain.md, to the letter:
--   z_score       = (score - mean) / population sd within the exam, 0 when the sd is 0
--   district_rank = standard competition rank by score descending (1, 2, 2, 4)
--   percentile    = DuckDB percent_rank() by score ascending (0..1)
-- Absent and exempt students are left out of every statistic.
with present as (
    select *
    from {{ ref('int_student_exam_scores') }}
    where status = 'present' and {{ partition_scope('exam_id', exams) }}
),

-- the mean and the population sd as exact means (macros/exact_mean.sql), so a rebuild
-- gives the same z-scores to the last bit
means as (
    select *, {{ exact_mean('score', over='partition by exam_id') }} as exam_mean
    from present
),

stats as (
    select
        *,
        sqrt({{ exact_mean('(score - exam_mean) * (score - exam_mean)', over='partition by exam_id') }}) as exam_sd,
        count(*) over (partition by exam_id) as exam_students,
        rank() over (partition by exam_id order by score desc) as district_rank,
        percent_rank() over (partition by exam_id order by score asc) as percentile
    from means
)

select
    exam_id,
    student_sourced_id,
    kind,
    subject,
    grade,
    academic_session,
    exam_date,
    org_sourced_id,
    score,
    max_score,
    score_rate,
    exam_mean,
    exam_sd,
    exam_students,
    case
        when exam_sd is null or exam_sd = 0 then 0.0
        else (score - exam_mean) / exam_sd
    end as z_score,
    district_rank,
    percentile
from stats
