-- People (students, teachers, parents/guardians, administrators) at their latest version.
-- Those who left stay, with their last day (roster_end_date: deleted, or no longer in a
-- newer bulk): the months and exams they were part of still count them, and their
-- memberships end with them (int_enrollments_effective).
select
    sourcedId as user_sourced_id,
    coalesce(lower(nullif(trim(status), '')), 'active') as status,
    dateLastModified as date_last_modified,
    coalesce(enabledUser, true) as enabled_user,
    coalesce(orgSourcedIds, {{ fn('list_value') }}()) as org_sourced_ids,
    lower(role) as role,
    username,
    coalesce(userIds, {{ fn('list_value') }}()) as user_ids,
    givenName as given_name,
    familyName as family_name,
    middleName as middle_name,
    identifier as user_identifier,
    email,
    sms,
    phone,
    coalesce(agentSourcedIds, {{ fn('list_value') }}()) as agent_sourced_ids,
    {{ fn('list_transform') }}(coalesce(grades, {{ fn('list_value') }}()), {{ lambda('g') }} {{ grade_code('g') }}) as grades,
    {{ roster_end_date() }} as roster_end_date,
    _delivery,
    _landed_at
from {{ oneroster_current('users', 'users', keep_ended=true) }}
where {{ roster_record_dated() }}
