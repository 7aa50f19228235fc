-- Grants whose principal granted or approved them (no four-eyes review).
select
    'self_granted' as check_name,
    principal_id,
    grant_id,
    cast({{ fn('list_value') }}() as {{ type_string_list() }}) as event_ids,
    'grant for ' || coalesce(resource, '?') || ' ' || case
        when granted_by = principal_id and approved_by = principal_id then 'granted and approved'
        when granted_by = principal_id then 'granted'
        else 'approved' end || ' by the principal ' || principal_id as evidence,
    valid_from as first_seen,
    valid_from as last_seen
from {{ ref('int_governance__grants') }}
where granted_by = principal_id or approved_by = principal_id
