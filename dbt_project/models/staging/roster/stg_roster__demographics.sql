-- Birth date and sex per user (OneRoster demographics.sourcedId = the user's sourcedId).
select
    "sourcedId" as user_sourced_id,
    coalesce(lower(nullif(trim(status), '')), 'active') as status,
    "dateLastModified" as date_last_modified,
    "birthDate" as birth_date,
    lower(nullif(trim(sex), '')) as sex,
    _extra as other_demographics_json,
    _delivery,
    _landed_at
from {{ latest_by_key(bronze_relation('roster', 'demographics'), '"sourcedId"') }}
where {{ is_not_deleted() }}
