-- The declared purpose is not among the cited grant's purposes (events without a
-- purpose are reported by log_missing_fields instead).
select
    'purpose_not_granted' as check_name,
    principal_id,
    grant_id,
    list(event_id order by event_time, event_id) as event_ids,
    count(*) || ' access(es) for ' || string_agg(distinct purpose, ', ')
        || '; the grant allows ' || array_to_string(any_value(grant_purposes), ', ') as evidence,
    min(event_time) as first_seen,
    max(event_time) as last_seen
from {{ ref('int_governance__events') }}
where is_access and grant_found and grant_principal_id = principal_id and purpose is not null
  and not list_contains(grant_purposes, purpose)
group by principal_id, grant_id
