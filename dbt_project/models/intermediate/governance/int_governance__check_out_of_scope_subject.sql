-- Students returned who were outside the principal's roster scope at event time
-- (teacher vs the classes taught, head teacher vs homeroom, grade leader vs grade,
-- principal vs school, parent vs own children, student vs self), or outside the scope of
-- the grant the event cites (int_governance__event_subjects).
select
    'out_of_scope_subject' as check_name,
    principal_id,
    grant_id,
    array_sort(array_agg(distinct event_id)) as event_ids,
    count(distinct event_id) || ' access(es) returned ' || count(distinct subject_id)
        || ' student(s) outside the ' || coalesce(any_value(role), '?') || ' roster or the grant''s scope, e.g. '
        || min(subject_id) as evidence,
    min(event_time) as first_seen,
    max(event_time) as last_seen
from {{ ref('int_governance__event_subjects') }}
where not in_scope
group by principal_id, grant_id
