-- Students returned who were outside the principal's roster scope at event time
-- (teacher vs the classes taught, head teacher vs homeroom, grade leader vs grade,
-- principal vs school, parent vs own children, student vs self), or outside the scope of
-- the grant the event cites (int_governance__event_subjects).
-- A role the principal does not hold at all (a head teacher logging as `parent`) is said
-- as such: every student is then outside the roster, for that reason.
with held as (
    select distinct principal_id, role from {{ ref('int_governance__principal_keys') }}
)

select
    'out_of_scope_subject' as check_name,
    s.principal_id,
    s.grant_id,
    array_sort(array_agg(distinct s.event_id)) as event_ids,
    count(distinct s.event_id) || ' access(es) returned ' || count(distinct s.subject_id)
        || ' student(s) outside the ' || coalesce(any_value(s.role), '?') || ' roster or the grant''s scope'
        || case when count(h.role) = 0
                then ' (the principal holds no ' || coalesce(any_value(s.role), '?') || ' role on the roster)'
                else '' end
        || ', e.g. ' || min(s.subject_id) as evidence,
    min(s.event_time) as first_seen,
    max(s.event_time) as last_seen
from {{ ref('int_governance__event_subjects') }} as s
left join held as h on h.principal_id = s.principal_id and h.role = s.role
where not s.in_scope
group by s.principal_id, s.grant_id
