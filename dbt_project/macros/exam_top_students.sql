{#- Consistently top students over a cohort of ranked units (docs/domain.md): sittings for
    top_students (a sitting's total score), one subject's exams for top_students_by_subject.
    The cohort is one grade in one academic session of the student's district, optionally
    narrowed by `extra_keys` (e.g. ['subject']). `units`: a relation of unit_id,
    org_sourced_id, grade, academic_session, the extra keys and exam_date; `results`: one
    row per unit and present (ranked) student with unit_id, student_sourced_id,
    district_rank and school_sourced_id. `unit` names the counts (cohort_<unit>s,
    <unit>s_taken, <unit>s_in_top_n). One row per cohort x student ranked in at least one
    of its units; a tie at the top-N boundary keeps everyone tied; a student with units of
    two districts in one cohort belongs to the district of their latest one there. Emits
    CTEs and the final select, to be written after a comma inside a WITH. -#}
{% macro top_students_over(units, results, extra_keys=[], unit='exam') %}
{%- set keys = extra_keys | join(', ') ~ (', ' if extra_keys else '') %}
{%- set trailing = (', ' ~ extra_keys | join(', ')) if extra_keys else '' %}
cohort_exams as (
    select unit_id as exam_id, org_sourced_id, grade, academic_session, {{ keys }}exam_date
    from {{ units }}
    where grade is not null and academic_session is not null and org_sourced_id is not null
    {%- for k in extra_keys %} and {{ k }} is not null{% endfor %}
      -- a unit nobody was ranked in (every student absent) did not take place for the
      -- cohort: counted in K, it left no one top N in all of them (the exams probe)
      and unit_id in (select unit_id from {{ results }})
),

cohorts as (
    select org_sourced_id, grade, academic_session, {{ keys }}count(*) as cohort_exams
    from cohort_exams
    group by org_sourced_id, grade, academic_session{{ trailing }}
),

results as (
    select
        ce.org_sourced_id,
        ce.grade,
        ce.academic_session,
        ce.exam_date,
        {%- for k in extra_keys %}
        ce.{{ k }},{% endfor %}
        r.student_sourced_id,
        r.unit_id as exam_id,
        r.district_rank,
        r.school_sourced_id
    from cohort_exams as ce
    inner join {{ results }} as r on r.unit_id = ce.exam_id
),

per_district as (
    select
        org_sourced_id,
        grade,
        academic_session,
        {{ keys }}student_sourced_id,
        count(distinct exam_id) as exams_taken,
        count(distinct exam_id) filter (where district_rank <= {{ exam_top_n() }}) as exams_in_top_n,
        max_by(school_sourced_id, exam_date) as school_sourced_id,
        max(exam_date) as last_exam_date
    from results
    group by org_sourced_id, grade, academic_session, {{ keys }}student_sourced_id
),

one_district as (
    select *
    from per_district
    qualify row_number() over (
        partition by grade, academic_session, {{ keys }}student_sourced_id
        order by last_exam_date desc nulls last, exams_taken desc, org_sourced_id desc
    ) = 1
),

per_student as (
    select
        *,
        -- the students the cohort ranks (present in at least one of its exams)
        count(*) over (partition by org_sourced_id, grade, academic_session{{ trailing }}) as cohort_students
    from one_district
)

select
    p.grade,
    p.academic_session,
    {%- for k in extra_keys %}
    p.{{ k }},{% endfor %}
    {{ pseudonymize('p.student_sourced_id') }} as student_key,
    p.org_sourced_id,
    p.school_sourced_id,
    cast(c.cohort_exams as bigint) as cohort_{{ unit }}s,
    cast(p.exams_taken as bigint) as {{ unit }}s_taken,
    cast(p.exams_in_top_n as bigint) as {{ unit }}s_in_top_n,
    p.exams_in_top_n = c.cohort_exams as in_all,
    p.exams_in_top_n >= c.cohort_exams - 1 as in_all_but_one,
    cast({{ exam_top_n() }} as integer) as top_n,
    cast(p.cohort_students as bigint) as cohort_students,
    -- N reaches the whole cohort: "top N" would name everyone, so it names no one
    p.cohort_students <= {{ exam_top_n() }} as top_n_covers_cohort
from per_student as p
inner join cohorts as c
    on c.org_sourced_id = p.org_sourced_id
   and c.grade = p.grade
   and c.academic_session = p.academic_session
   {%- for k in extra_keys %}
   and c.{{ k }} = p.{{ k }}{% endfor %}
{% endmacro %}
