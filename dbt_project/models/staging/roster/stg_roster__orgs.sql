-- Organisations (schools, districts, the city) at their latest version.
select
    sourcedId as org_sourced_id,
    coalesce(lower(nullif(trim(status), '')), 'active') as status,
    dateLastModified as date_last_modified,
    name as org_name,
    lower(type) as org_type,
    identifier as org_identifier,
    nullif(trim(parentSourcedId), '') as parent_sourced_id,
    _delivery,
    _landed_at
from {{ oneroster_current('orgs', 'orgs') }}
where {{ is_not_deleted() }}
