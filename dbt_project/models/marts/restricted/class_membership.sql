-- Which students sit in which class (homeroom and teaching classes) on the reference
-- date (var reference_date, default today; else the latest enrollment begun; never one
-- the student moved on from before it), so staff
-- reports build class rosters from a mart and never from the landed roster.
{%- set ref_date = reference_day() %}

with latest_starts as (
    -- when each student's latest membership of each kind (homeroom, scheduled) began
    select person_sourced_id, class_type, max(effective_from) as latest_from
    from {{ ref('int_enrollments_effective') }}
    where role = 'student'
    group by person_sourced_id, class_type
),

memberships as (
    select e.*
    from {{ ref('int_enrollments_effective') }} as e
    left join latest_starts as l
        on l.person_sourced_id = e.person_sourced_id and l.class_type is not distinct from e.class_type
    where e.role = 'student'
      -- a student who moved on sits in the new class, not the old: a membership that
      -- ended before the reference day, with one of its kind begun after it, is not kept
      -- (the roster probe: a mover stayed on the old head teacher's page, with the results
      -- of exams sat after the move, and in its class_engagement). One that ended with no
      -- successor stays: a lake of a past term, read today, keeps its classes.
      and not (e.effective_to < {{ ref_date }} and e.effective_to < l.latest_from)
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
