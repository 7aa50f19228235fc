-- Active grants held for the whole review window (90 days to the audit date) and not
-- used once in it: least privilege says revoke. A grant without valid_from is open from
-- the start (as everywhere in the audit), so it is held for any window.
with params as (
    select * from {{ ref('int_governance__audit_params') }}
),

used as (
    select distinct e.grant_id
    from {{ ref('int_governance__events') }} as e
    cross join params as p
    where e.is_access and e.grant_found and e.principal_id = e.grant_principal_id
      and e.local_date > p.audit_date - p.unused_grant_days and e.local_date <= p.audit_date
)

select
    'unused_grant' as check_name,
    g.principal_id,
    g.grant_id,
    cast({{ fn('list_value') }}() as {{ type_string_list() }}) as event_ids,
    coalesce(g.role, '?') || ' grant on ' || coalesce(g.resource, '?') || ' held since '
        || coalesce({{ format_time("g.valid_from", '%Y-%m-%d') }}, 'always') || ', not used in the ' || p.unused_grant_days
        || ' days to ' || {{ format_time("p.audit_date", '%Y-%m-%d') }} as evidence,
    g.valid_from as first_seen,
    g.valid_from as last_seen
from {{ ref('int_governance__grants') }} as g
cross join params as p
left join used as u on u.grant_id = g.grant_id
where g.is_active and u.grant_id is null
  and (g.valid_from is null or g.valid_from <= cast(p.audit_date - p.unused_grant_days as {{ type_timestamptz() }}))
