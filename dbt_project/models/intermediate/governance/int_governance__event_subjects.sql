-- Every student whose rows an access returned, with whether the principal's roster
-- scope covered that student on the event's local date (staff_scope keys meet the
-- student's date-effective class/grade/school/district/city/self/child keys).
with events as (
    select event_id, event_time, local_date, principal_id, role, grant_id, purpose, resource,
        classes_read, {{ fn('unnest') }}(subject_ids) as subject_id
    from {{ ref('int_governance__events') }}
    where is_access and principal_id is not null
),

covered as (
    select distinct e.event_id, e.subject_id
    from events as e
    inner join {{ ref('int_governance__principal_keys') }} as p
        on p.principal_id = e.principal_id and p.role = e.role
        and e.local_date between p.effective_from and p.effective_to
    inner join {{ ref('int_governance__student_keys') }} as s
        on s.student_id = e.subject_id and s.key_type = p.key_type and s.key_value = p.key_value
        and e.local_date between s.effective_from and s.effective_to
)

select e.*, c.event_id is not null as in_scope
from events as e
left join covered as c on c.event_id = e.event_id and c.subject_id = e.subject_id
