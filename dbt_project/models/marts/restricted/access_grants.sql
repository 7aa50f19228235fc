-- The grants as landed (latest delivery of each grant_id), for the governed API
-- (`eduhouse serve`) to enforce at request time: validity is judged per request
-- (valid_from <= now < valid_to, not revoked), the role template bounds each grant, and
-- the scope ids are cut to the roster (staff_scope). The audit reads the same staging
-- model (int_governance__grants), so the grants enforced are the grants audited.
select
    cast(grant_id as string) as grant_id,
    cast(principal_id as string) as principal_id,
    cast(principal_type as string) as principal_type,
    cast(role as string) as role,
    cast(scope_type as string) as scope_type,
    cast(scope_ids as {{ type_string_list() }}) as scope_ids,
    cast(resource as string) as resource,
    cast(columns as {{ type_string_list() }}) as columns,
    cast(actions as {{ type_string_list() }}) as actions,
    cast(purposes as {{ type_string_list() }}) as purposes,
    cast(sensitive as boolean) as sensitive,
    cast(valid_from as {{ type_timestamptz() }}) as valid_from,
    cast(valid_to as {{ type_timestamptz() }}) as valid_to,
    cast(revoked_at as {{ type_timestamptz() }}) as revoked_at
from {{ ref('stg_governance__grants') }}
order by grant_id
