-- Grants with their validity at the audit date and how they compare with the role's
-- template (exceeds_template + the reasons): the base of the entitlements mart and of
-- the grant checks (over-broad, unused, stale, self-granted).
with grants as (
    select * from {{ ref('stg_governance__grants') }}
),

templates as (
    select
        role,
        string_split(scope_types, ';') as scope_types,
        string_split(resources, ';') as resources,
        string_split(actions, ';') as actions,
        string_split(purposes, ';') as purposes,
        sensitive
    from {{ ref('governance_role_templates') }}
),

params as (
    select * from {{ ref('int_governance__audit_params') }}
),

compared as (
    select
        g.*,
        p.audit_date,
        (g.valid_from is null or g.valid_from < p.audit_end)
            and (g.valid_to is null or g.valid_to >= p.audit_end)
            and (g.revoked_at is null or g.revoked_at >= p.audit_end) as is_active,
        list_filter([
            case when t.role is null then 'role has no template' end,
            case when t.role is not null and not list_contains(t.scope_types, g.scope_type)
                 then 'scope ' || coalesce(g.scope_type, '?') || ' not in template (' || array_to_string(t.scope_types, ', ') || ')' end,
            case when t.role is not null and not list_contains(t.resources, g.resource)
                 then 'resource ' || coalesce(g.resource, '?') || ' not in template' end,
            case when t.role is not null and len(list_filter(g.actions, lambda a: not list_contains(t.actions, a))) > 0
                 then 'actions ' || array_to_string(list_filter(g.actions, lambda a: not list_contains(t.actions, a)), ', ') || ' not in template' end,
            case when t.role is not null and len(list_filter(g.purposes, lambda x: not list_contains(t.purposes, x))) > 0
                 then 'purposes ' || array_to_string(list_filter(g.purposes, lambda x: not list_contains(t.purposes, x)), ', ') || ' not in template' end,
            case when t.role is not null and g.sensitive and not t.sensitive then 'sensitive grant for a non-sensitive role' end
        ], lambda r: r is not null) as exceeds_reasons
    from grants as g
    left join templates as t on t.role = g.role
    cross join params as p
)

select *, len(exceeds_reasons) > 0 as exceeds_template
from compared
