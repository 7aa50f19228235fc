-- Config test: role templates only name resources the policy classifies.
-- Fix: add the resource (mart) with its category to role_policy.yaml `resources`.
select t.role, r.resource
from {{ ref('governance_role_templates') }} as t,
    unnest(string_split(t.resources, ';')) as r(resource)
where r.resource not in (select resource from {{ ref('governance_resources') }})
