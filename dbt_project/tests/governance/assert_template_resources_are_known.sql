-- Config test: role templates only name resources the policy classifies.
-- Fix: add the resource (mart) with its category to role_policy.yaml `resources`.
select r.role, r.resource
from (
    select t.role, {{ fn('unnest') }}({{ fn('string_split') }}(t.resources, ';')) as resource
    from {{ ref('governance_role_templates') }} as t
) as r
where r.resource not in (select resource from {{ ref('governance_resources') }})
