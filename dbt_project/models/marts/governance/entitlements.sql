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
    cast(g.principal_id as varchar) as principal_id,
    cast(g.principal_type as varchar) as principal_type,
    cast(g.role as varchar) as role,
    cast(g.resource as varchar) as resource,
    cast(g.scope_type as varchar) as scope_type,
    cast(s.scope_id as varchar) as scope_id,
    cast(g.grant_id as varchar) as grant_id,
    cast(g.columns as varchar[]) as columns,
    cast(g.actions as varchar[]) as actions,
    cast(g.purposes as varchar[]) as purposes,
    cast(g.sensitive as boolean) as sensitive,
    cast(g.granted_by as varchar) as granted_by,
    cast(g.approved_by as varchar) as approved_by,
    cast(g.valid_from as timestamptz) as valid_from,
    cast(g.valid_to as timestamptz) as valid_to,
    cast(g.exceeds_template as boolean) as exceeds_template,
    cast(g.exceeds_reasons as varchar[]) as exceeds_reasons,
    cast(st.grant_id is null as boolean) as roster_backed
from grants as g
cross join lateral (
    select unnest(case when len(g.scope_ids) = 0 then [null] else g.scope_ids end) as scope_id
) as s
left join stale as st on st.grant_id = g.grant_id
order by principal_id, resource, scope_id, grant_id
