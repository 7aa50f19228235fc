-- Every access event line as delivered: duplicates are kept (occurrence > 1) because the
-- audit reports them; checks on behaviour use occurrence = 1.
select
    event_id,
    seq,
    event_time,
    coalesce(local_date, {{ local_date('event_time') }}) as local_date,
    principal_id,
    lower(nullif(trim(role), '')) as role,
    nullif(trim(client_app), '') as client_app,
    lower(nullif(trim(action), '')) as action,
    nullif(trim(resource), '') as resource,
    coalesce(columns, {{ fn('list_value') }}()) as columns,
    lower(nullif(trim(purpose), '')) as purpose,
    lower(nullif(trim(decision), '')) as decision,
    nullif(trim(grant_id), '') as grant_id,
    rows_returned,
    coalesce(subject_ids, {{ fn('list_value') }}()) as subject_ids,
    row_number() over (
        partition by event_id order by _landed_at, _delivery, _position
    ) as occurrence,
    _delivery,
    _position
from {{ bronze_relation('access', 'events') }}
