-- The declared purpose is not among the cited grant's purposes (events without a
-- purpose are reported by log_missing_fields instead).
with misused as (
    select * from {{ ref('int_governance__events') }}
    where is_access and grant_found and grant_principal_id = principal_id and purpose is not null
      and not purpose_granted
)

select
    'purpose_not_granted' as check_name,
    m.principal_id,
    m.grant_id,
    {{ ordered_list('m.event_id', 'm.event_time, m.event_id') }} as event_ids,
    count(*) || ' access(es) for ' || {{ distinct_text('m.purpose', ', ') }}
        || '; the grant allows ' || {{ fn('array_to_string') }}(any_value(g.purposes), ', ') as evidence,
    min(m.event_time) as first_seen,
    max(m.event_time) as last_seen
from misused as m
left join {{ ref('stg_governance__grants') }} as g on g.grant_id = m.grant_id
group by m.principal_id, m.grant_id
