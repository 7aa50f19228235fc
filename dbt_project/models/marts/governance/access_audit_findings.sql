{{ config(schema="restricted") }}
-- One row per audit finding, from every access, grant, log and retention check in
-- models/intermediate/governance (the publication checks over the public Parquet run
-- after export, in orchestration/governance/publication.py, and join these in the report).
{%- set checks = [
    'unauthorised_access', 'out_of_scope_subject', 'expired_or_revoked_grant', 'stale_grant',
    'sensitive_without_grant', 'purpose_not_allowed', 'purpose_not_granted', 'consent_missing', 'self_granted',
    'bulk_export', 'unused_grant', 'over_broad_grant', 'repeated_denials', 'log_integrity',
    'retention_overdue'] %}
{#- A finding is one per check, principal and grant, but for the checks that can raise
    several for the same ones (none: a sequence gap of an app, overdue records of a data
    category): those name each in finding_key. -#}
{%- set keyed = ['log_integrity', 'retention_overdue'] %}
with findings as (
{%- for c in checks %}
    select check_name, principal_id, grant_id, event_ids, evidence, first_seen, last_seen,
        {{ 'finding_key' if c in keyed else 'cast(null as string) as finding_key' }}
    from {{ ref('int_governance__check_' ~ c) }}
    {{ "union all" if not loop.last }}
{%- endfor %}
),

catalogue as (
    select * from {{ ref('governance_checks') }}
)

select
    -- what the finding is about, never how much of it there is: the evidence's counts and
    -- dates change as events arrive ("not used in the 90 days to <audit date>" daily), and
    -- with them the id (the audit probe: a roster delta re-identified a bulk export)
    cast(substr(md5(f.check_name || '|' || coalesce(f.principal_id, '') || '|' || coalesce(f.grant_id, '') || '|'
        || coalesce(f.finding_key, '')), 1, 16) as string) as finding_id,
    cast(f.check_name as string) as {{ adapter.quote('check') }},
    cast(c.severity as string) as severity,
    cast(f.principal_id as string) as principal_id,
    cast(f.grant_id as string) as grant_id,
    cast(f.event_ids as {{ type_string_list() }}) as event_ids,
    cast(cardinality(f.event_ids) as bigint) as event_count,
    cast(f.evidence as string) as evidence,
    cast(f.first_seen as {{ type_timestamptz() }}) as first_seen,
    cast(f.last_seen as {{ type_timestamptz() }}) as last_seen,
    cast(c.title as string) as title,
    cast(c.how_to_fix as string) as how_to_fix,
    cast(p.audit_date as date) as audit_date
from findings as f
left join catalogue as c on c.check_name = f.check_name
cross join {{ ref('int_governance__audit_params') }} as p
order by case c.severity when 'critical' then 1 when 'high' then 2 when 'medium' then 3 else 4 end,
    {{ adapter.quote('check') }}, principal_id, grant_id, finding_id
