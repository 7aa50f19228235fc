-- Which students sit in which class (homeroom and teaching classes) on the reference
-- date (var reference_date, default today; else the latest enrollment begun; never one
-- that ended before it), so staff
-- reports build class rosters from a mart and never from the landed roster.
{%- set ref_date = reference_day() %}

with memberships as (
    select *
    from {{ ref('int_enrollments_effective') }} as e
    where e.role = 'student'
      -- who sits in the class: a membership that ended before the reference day is not
      -- (the roster probe: a student who moved stayed on the old head teacher's page,
      -- with the results of exams sat after the move, and in its class_engagement)
      and not (e.effective_to < {{ ref_date }})
    qualify row_number() over (
        partition by e.class_sourced_id, e.person_sourced_id
        order by ({{ ref_date }} between e.effective_from and e.effective_to) desc, e.effective_from desc
    ) = 1
),

-- one key per student (macro keyed_students), not one HMAC per membership
student_keys as (
    {{ keyed_students('memberships', 'person_sourced_id') }}
)

select
    m.class_sourced_id,
    k.student_key,
    m.class_type,
    m.class_title,
    m.subject,
    m.school_sourced_id,
    m.grade,
    m.effective_from,
    m.effective_to
from memberships as m
left join student_keys as k on k.student_sourced_id = m.person_sourced_id
{{ stored_in_student_key_order('k.key_order') }}
