-- Data returned without an active grant behind it: no grant cited, an unknown grant, a
-- grant of somebody else, one given for another role than the event acts in (a head
-- teacher's teacher grant cited while acting as a parent), or one that does not cover the
-- resource or action.
select
    'unauthorised_access' as check_name,
    principal_id,
    grant_id,
    {{ ordered_list('event_id', 'event_time, event_id') }} as event_ids,
    count(*) || ' access(es) without a covering grant: '
        || {{ fn('array_to_string') }}(array_sort(array_agg(distinct case
            when grant_id is null then 'no grant cited'
            when not grant_found then 'unknown grant ' || grant_id
            when grant_principal_id <> principal_id then 'grant of ' || grant_principal_id
            when grant_role is distinct from role then 'grant is for role ' || coalesce(grant_role, '?') || ', not ' || role
            when grant_resource is distinct from resource then 'grant is for ' || coalesce(grant_resource, '?') || ', not ' || resource
            else 'action ' || action || ' not granted' end)), '; ') as evidence,
    min(event_time) as first_seen,
    max(event_time) as last_seen
from {{ ref('int_governance__events') }}
where is_access and principal_id is not null
  and (grant_id is null or not grant_found or grant_principal_id <> principal_id
       or grant_role is distinct from role
       or grant_resource is distinct from resource
       or (action is not null and not coalesce(action_granted, false)))
group by principal_id, grant_id
