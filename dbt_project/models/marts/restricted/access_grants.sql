-- The grants as landed (latest delivery of each grant_id), for the governed API
-- (`eduhouse serve`) to enforce at request time: validity is judged per request
-- (valid_from <= now < valid_to, not revoked), the role template bounds each grant, and
-- the scope ids are cut to the roster (staff_scope). The audit reads the same staging
-- model (int_governance__grants), so the grants enforced are the grants audited.
select
    cast(grant_id as varchar) as grant_id,
    cast(principal_id as varchar) as principal_id,
    cast(principal_type as varchar) as principal_type,
    cast(role as varchar) as role,
    cast(scope_type as varchar) as scope_type,
    cast(scope_ids as varchar[]) as scope_ids,
    cast(resource as varchar) as resource,
    cast(columns as varchar[]) as columns,
    cast(actions as varchar[]) as actions,
    cast(purposes as varchar[]) as purposes,
    cast(sensitive as boolean) as sensitive,
    cast(valid_from as timestamptz) as valid_from,
    cast(valid_to as timestamptz) as valid_to,
    cast(revoked_at as timestamptz) as revoked_at
from {{ ref('stg_governance__grants') }}
order by grant_id
