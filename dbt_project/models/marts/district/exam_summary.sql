{{ partitioned_by_exam() }}
{%- set exams = partition_exams() %}
-- One row per exam: who sat it and its score statistics. Only present students count in
-- mean_score / sd_score (population sd); absent and exempt students are counted apart.
-- mean_score is an exact mean and sd_score the root of one (macros/exact_mean.sql): the
-- same to the last bit in every rebuild
with scores as (
    select exam_id, status, score
    from {{ ref('int_student_exam_scores') }}
    where {{ partition_scope('exam_id', exams) }}
),

means as (
    select
        exam_id,
        count(*) filter (where status = 'present') as students_present,
        count(*) filter (where status = 'absent') as students_absent,
        count(*) filter (where status = 'exempt') as students_exempt,
        {{ exact_mean('score', filter="status = 'present'") }} as mean_score
    from scores
    group by exam_id
),

counts as (
    select
        m.exam_id, m.students_present, m.students_absent, m.students_exempt, m.mean_score,
        sqrt({{ exact_mean('(s.score - m.mean_score) * (s.score - m.mean_score)', filter="s.status = 'present'") }}) as sd_score
    from means as m
    left join scores as s on s.exam_id = m.exam_id
    group by m.exam_id, m.students_present, m.students_absent, m.students_exempt, m.mean_score
),

exam_max as (
    select exam_id, {{ exact_sum('max_score') }} as max_score
    from {{ ref('stg_exams__items') }}
    group by exam_id
)

select
    e.exam_id,
    e.exam_name as name,
    e.kind,
    e.subject,
    e.grade,
    e.academic_session,
    e.exam_date,
    e.org_sourced_id,
    cast(m.max_score as double) as max_score,
    -- an exam sat by 1 .. min_cell - 1 students is suppressed whole (its totals are the
    -- totals of quality_map's lines, which never need them hidden for complement)
    {%- set small = is_small_cell('c.students_present') %}
    cast({{ unless_suppressed('coalesce(c.students_present, 0)', small) }} as bigint) as students_present,
    cast({{ unless_suppressed('coalesce(c.students_absent, 0)', small) }} as bigint) as students_absent,
    cast({{ unless_suppressed('coalesce(c.students_exempt, 0)', small) }} as bigint) as students_exempt,
    cast({{ unless_suppressed('c.mean_score', small) }} as double) as mean_score,
    cast({{ unless_suppressed('c.sd_score', small) }} as double) as sd_score,
    cast(coalesce({{ small }}, false) as boolean) as suppressed
from {{ ref('stg_exams__exams') }} as e
left join counts as c on c.exam_id = e.exam_id
left join exam_max as m on m.exam_id = e.exam_id
where {{ partition_scope('e.exam_id', exams) }}
