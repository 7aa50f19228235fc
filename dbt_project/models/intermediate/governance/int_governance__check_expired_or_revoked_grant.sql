-- A covering grant was cited, but it was not yet valid, had expired or was revoked at
-- the event's time.
with usable as (
    select * from {{ ref('int_governance__events') }}
    where is_access and grant_found and grant_principal_id = principal_id and grant_resource = resource
)

select
    'expired_or_revoked_grant' as check_name,
    principal_id,
    grant_id,
    {{ ordered_list('event_id', 'event_time, event_id') }} as event_ids,
    count(*) || ' access(es) outside the grant''s validity ('
        || coalesce('from ' || {{ format_time("min(grant_valid_from)", '%Y-%m-%d') }}, '')
        || coalesce(' to ' || {{ format_time("min(grant_valid_to)", '%Y-%m-%d') }}, '')
        || coalesce(', revoked ' || {{ format_time("min(grant_revoked_at)", '%Y-%m-%d %H:%M') }}, '') || ')' as evidence,
    min(event_time) as first_seen,
    max(event_time) as last_seen
from usable
where event_time < grant_valid_from or event_time >= grant_valid_to or event_time >= grant_revoked_at
group by principal_id, grant_id
