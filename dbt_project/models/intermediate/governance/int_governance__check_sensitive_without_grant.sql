-- Health, psych or minor-classified data read under a grant not marked sensitive.
select
    'sensitive_without_grant' as check_name,
    principal_id,
    grant_id,
    {{ ordered_list('event_id', 'event_time, event_id') }} as event_ids,
    count(*) || ' read(s) of ' || {{ fn('array_to_string') }}(array_sort(array_distinct(flatten(array_agg(classes_read)))), ', ')
        || ' data from ' || {{ distinct_text('resource', ', ') }} || ' under a non-sensitive grant' as evidence,
    min(event_time) as first_seen,
    max(event_time) as last_seen
from {{ ref('int_governance__events') }}
where is_access and grant_found and grant_principal_id = principal_id and reads_sensitive
  and not coalesce(grant_sensitive, false)
group by principal_id, grant_id
