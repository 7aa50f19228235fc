-- Grants without a four-eyes review: granted or approved by their own principal, or a
-- sensitive grant nobody approved (an empty approved_by: the bronze suite warned of it,
-- and the audit said nothing: the governance probe).
select
    'self_granted' as check_name,
    principal_id,
    grant_id,
    cast({{ fn('list_value') }}() as {{ type_string_list() }}) as event_ids,
    case when granted_by = principal_id or approved_by = principal_id then
        'grant for ' || coalesce(resource, '?') || ' ' || case
            when granted_by = principal_id and approved_by = principal_id then 'granted and approved'
            when granted_by = principal_id then 'granted'
            else 'approved' end || ' by the principal ' || principal_id
        else 'sensitive grant for ' || coalesce(resource, '?') || ' approved by no one' end as evidence,
    valid_from as first_seen,
    valid_from as last_seen
from {{ ref('int_governance__grants') }}
where granted_by = principal_id or approved_by = principal_id or (sensitive and approved_by is null)
