-- Grants at their latest delivery. A grant names one resource; scope_ids follow the
-- staff_scope conventions (grade '<school>:<grade>', subject '<district>:<subject>').
select
    grant_id,
    principal_id,
    lower(nullif(trim(principal_type), '')) as principal_type,
    lower(nullif(trim(role), '')) as role,
    lower(nullif(trim(scope_type), '')) as scope_type,
    coalesce(filter(scope_ids, {{ lambda('x') }} nullif(trim(x), '') is not null), {{ fn('list_value') }}()) as scope_ids,
    resource,
    coalesce(columns, {{ fn('list_value') }}()) as columns,
    {{ fn('list_transform') }}(coalesce(actions, {{ fn('list_value') }}()), {{ lambda('x') }} lower(trim(x))) as actions,
    {{ fn('list_transform') }}(coalesce(purposes, {{ fn('list_value') }}()), {{ lambda('x') }} lower(trim(x))) as purposes,
    coalesce(sensitive, false) as sensitive,
    nullif(trim(granted_by), '') as granted_by,
    nullif(trim(approved_by), '') as approved_by,
    valid_from,
    valid_to,
    revoked_at,
    _delivery,
    _landed_at
from {{ latest_by_key(bronze_relation('governance', 'grants'), 'grant_id', modified_col='_landed_at') }}
where grant_id is not null
