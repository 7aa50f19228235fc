-- Knowledge-point mastery across a district (区域共性薄弱知识点): district x subject x kp,
-- from the students' mastery in student_knowledge (the district is the student's
-- school's, as student_identity resolves it). Only students with enough evidence
-- (mastery_level other than 'insufficient') are assessed: mean_score_rate and weak_share
-- are both over the assessed students, so the two figures describe the same people, and
-- a kp nobody has enough evidence on has both null ("not enough evidence"), never 0 %.
-- A row assessing 1 .. min_cell - 1 students (or reached by as few) is suppressed.
with students as (
    select k.student_key, i.district_sourced_id, k.subject, k.kp_id, k.kp_name, k.score_rate, k.mastery_level
    from {{ ref('student_knowledge') }} as k
    inner join {{ ref('student_identity') }} as i on i.student_key = k.student_key
    where i.district_sourced_id is not null
),

per_kp as (
    select
        district_sourced_id,
        subject,
        kp_id,
        max(kp_name) as kp_name,
        count(*) as students,
        count(*) filter (where mastery_level <> 'insufficient') as students_assessed,
        {{ exact_mean('score_rate', filter="mastery_level <> 'insufficient'") }} as mean_score_rate,
        count(*) filter (where mastery_level = 'weak') as weak_students
    from students
    group by district_sourced_id, subject, kp_id
),

flagged as (
    select *, coalesce({{ is_small_cell('students') }} or {{ is_small_cell('students_assessed') }}, false) as suppressed
    from per_kp
)

select
    district_sourced_id,
    subject,
    kp_id,
    kp_name,
    cast({{ unless_suppressed('students') }} as bigint) as students,
    cast({{ unless_suppressed('students_assessed') }} as bigint) as students_assessed,
    cast({{ unless_suppressed('mean_score_rate') }} as double) as mean_score_rate,
    cast({{ unless_suppressed('weak_students') }} as bigint) as weak_students,
    cast({{ unless_suppressed('weak_students / nullif(students_assessed, 0)') }} as double) as weak_share,
    cast(suppressed as boolean) as suppressed
from flagged
