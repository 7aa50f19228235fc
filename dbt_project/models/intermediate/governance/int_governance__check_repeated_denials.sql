-- Bursts of denied requests by one principal (at least the threshold within an hour):
-- probing for data outside the grants.
with params as (
    select * from {{ ref('int_governance__audit_params') }}
),

denied as (
    select event_id, principal_id, event_time, resource,
        count(*) over (partition by principal_id order by event_time
                       range between interval 1 hour preceding and current row) as in_last_hour
    from {{ ref('int_governance__events') }}
    where decision = 'denied' and principal_id is not null and event_time is not null
),

burst_ends as (
    select d.* from denied as d cross join params as p where d.in_last_hour >= p.denials_per_hour
),

in_burst as (
    select distinct d.event_id, d.principal_id, d.event_time, d.resource
    from denied as d
    inner join burst_ends as b
        on b.principal_id = d.principal_id
        and d.event_time between b.event_time - interval 1 hour and b.event_time
)

select
    'repeated_denials' as check_name,
    principal_id,
    cast(null as string) as grant_id,
    {{ ordered_list('event_id', 'event_time, event_id') }} as event_ids,
    count(*) || ' denied requests in bursts (' || {{ distinct_text('resource', ', ') }} || ')' as evidence,
    min(event_time) as first_seen,
    max(event_time) as last_seen
from in_burst
group by principal_id
