-- Birth date and sex per user (OneRoster demographics.sourcedId = the user's sourcedId),
-- kept for a user a newer bulk no longer holds (the user stays, stg_roster__users).
select
    sourcedId as user_sourced_id,
    coalesce(lower(nullif(trim(status), '')), 'active') as status,
    dateLastModified as date_last_modified,
    birthDate as birth_date,
    lower(nullif(trim(sex), '')) as sex,
    _extra as other_demographics_json,
    _delivery,
    _landed_at
from {{ oneroster_current('demographics', 'demographics', keep_ended=true) }}
where {{ is_not_deleted() }}
