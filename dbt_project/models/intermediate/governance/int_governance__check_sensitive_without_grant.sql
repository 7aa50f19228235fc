-- Health, psych or minor-classified data read under a grant not marked sensitive. The
-- evidence names the sensitive classes read only (it listed attribute and pseudonymous
-- too: the surveys probe).
select
    'sensitive_without_grant' as check_name,
    e.principal_id,
    e.grant_id,
    {{ ordered_list('e.event_id', 'e.event_time, e.event_id') }} as event_ids,
    count(*) || ' read(s) of ' || {{ fn('array_to_string') }}(array_sort(array_distinct(flatten(array_agg(
        array_intersect(e.classes_read, p.sensitive_classifications))))), ', ')
        || ' data from ' || {{ distinct_text('e.resource', ', ') }} || ' under a non-sensitive grant' as evidence,
    min(e.event_time) as first_seen,
    max(e.event_time) as last_seen
from {{ ref('int_governance__events') }} as e
cross join {{ ref('int_governance__audit_params') }} as p
where e.is_access and e.grant_found and e.grant_principal_id = e.principal_id and e.reads_sensitive
  and not coalesce(e.grant_sensitive, false)
group by e.principal_id, e.grant_id
