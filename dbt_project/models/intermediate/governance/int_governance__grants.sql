-- Grants with their validity at the audit date and how they compare with the role's
-- template: scope, resource, actions, purposes, sensitivity, columns (exceeds_template
-- + the reasons): the base of the entitlements mart and of
-- the grant checks (over-broad, unused, stale, self-granted).
with grants as (
    select * from {{ ref('stg_governance__grants') }}
),

templates as (
    select
        role,
        {{ fn('string_split') }}(scope_types, ';') as scope_types,
        {{ fn('string_split') }}(resources, ';') as resources,
        {{ fn('string_split') }}(actions, ';') as actions,
        {{ fn('string_split') }}(purposes, ';') as purposes,
        sensitive,
        {{ fn('string_split') }}(columns, ';') as template_columns
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
        filter({{ fn('list_value') }}(
            case when t.role is null then 'role has no template' end,
            case when t.role is not null and not array_contains(t.scope_types, g.scope_type)
                 then 'scope ' || coalesce(g.scope_type, '?') || ' not in template (' || {{ fn('array_to_string') }}(t.scope_types, ', ') || ')' end,
            case when t.role is not null and not array_contains(t.resources, g.resource)
                 then 'resource ' || coalesce(g.resource, '?') || ' not in template' end,
            case when t.role is not null and cardinality(filter(g.actions, {{ lambda('a') }} not array_contains(t.actions, a))) > 0
                 then 'actions ' || {{ fn('array_to_string') }}(filter(g.actions, {{ lambda('a') }} not array_contains(t.actions, a)), ', ') || ' not in template' end,
            case when t.role is not null and cardinality(filter(g.purposes, {{ lambda('x') }} not array_contains(t.purposes, x))) > 0
                 then 'purposes ' || {{ fn('array_to_string') }}(filter(g.purposes, {{ lambda('x') }} not array_contains(t.purposes, x)), ', ') || ' not in template' end,
            case when t.role is not null and g.sensitive and not t.sensitive then 'sensitive grant for a non-sensitive role' end,
            -- a grant's columns beyond a template that names its columns ('*' or no list
            -- in the grant opens every column, so it exceeds any list)
            case when t.role is not null and not array_contains(t.template_columns, '*')
                      and (cardinality(g.columns) = 0 or array_contains(g.columns, '*')
                           or cardinality(filter(g.columns, {{ lambda('c') }} not array_contains(t.template_columns, c))) > 0)
                 then 'columns ' || case when cardinality(g.columns) = 0 or array_contains(g.columns, '*') then '*'
                                         else {{ fn('array_to_string') }}(filter(g.columns, {{ lambda('c') }} not array_contains(t.template_columns, c)), ', ') end
                      || ' not in template' end
        ), {{ lambda('r') }} r is not null) as exceeds_reasons
    from grants as g
    left join templates as t on t.role = g.role
    cross join params as p
)

select *, cardinality(exceeds_reasons) > 0 as exceeds_template
from compared
