-- Health, psych or minor-classified data read under a grant not marked sensitive.
select
    'sensitive_without_grant' as check_name,
    principal_id,
    grant_id,
    list(event_id order by event_time, event_id) as event_ids,
    count(*) || ' read(s) of ' || array_to_string(list_distinct(flatten(list(classes_read))), ', ')
        || ' data from ' || string_agg(distinct resource, ', ') || ' under a non-sensitive grant' as evidence,
    min(event_time) as first_seen,
    max(event_time) as last_seen
from {{ ref('int_governance__events') }}
where is_access and grant_found and grant_principal_id = principal_id and reads_sensitive
  and not coalesce(grant_sensitive, false)
group by principal_id, grant_id
