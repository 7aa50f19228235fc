{{ config(schema="restricted") }}
-- Who can access what today: every principal x resource x scope granted by a grant
-- active at the audit date (var audit_date, default the latest access-event date), with
-- the grant behind it, whether it exceeds the role's template and why, and whether the
-- roster still backs the scope.
with grants as (
    select * from {{ ref('int_governance__grants') }} where is_active
),

stale as (
    select grant_id from {{ ref('int_governance__check_stale_grant') }}
)

select
    cast(g.audit_date as date) as audit_date,
    cast(g.principal_id as string) as principal_id,
    cast(g.principal_type as string) as principal_type,
    cast(g.role as string) as role,
    cast(g.resource as string) as resource,
    cast(g.scope_type as string) as scope_type,
    cast(s.scope_id as string) as scope_id,
    cast(g.grant_id as string) as grant_id,
    cast(g.columns as {{ type_string_list() }}) as columns,
    cast(g.actions as {{ type_string_list() }}) as actions,
    cast(g.purposes as {{ type_string_list() }}) as purposes,
    cast(g.sensitive as boolean) as sensitive,
    cast(g.granted_by as string) as granted_by,
    cast(g.approved_by as string) as approved_by,
    cast(g.valid_from as {{ type_timestamptz() }}) as valid_from,
    cast(g.valid_to as {{ type_timestamptz() }}) as valid_to,
    cast(g.exceeds_template as boolean) as exceeds_template,
    cast(g.exceeds_reasons as {{ type_string_list() }}) as exceeds_reasons,
    cast(st.grant_id is null as boolean) as roster_backed
from grants as g
cross join lateral (
    select {{ fn('unnest') }}(case when cardinality(g.scope_ids) = 0 then {{ fn('list_value') }}(null) else g.scope_ids end) as scope_id
) as s
left join stale as st on st.grant_id = g.grant_id
order by principal_id, resource, scope_id, grant_id
