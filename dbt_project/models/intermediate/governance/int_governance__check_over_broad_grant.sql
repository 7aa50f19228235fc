-- Active grants that give more than the role's template (scope, resource, actions,
-- purposes, sensitivity or columns).
select
    'over_broad_grant' as check_name,
    principal_id,
    grant_id,
    cast({{ fn('list_value') }}() as {{ type_string_list() }}) as event_ids,
    coalesce(role, '?') || ' grant on ' || coalesce(resource, '?') || ': ' || {{ fn('array_to_string') }}(exceeds_reasons, '; ') as evidence,
    valid_from as first_seen,
    valid_from as last_seen
from {{ ref('int_governance__grants') }}
where is_active and exceeds_template
