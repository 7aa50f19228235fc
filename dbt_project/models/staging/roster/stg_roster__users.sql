-- People (students, teachers, parents/guardians, administrators) at their latest version.
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
    _delivery,
    _landed_at
from {{ oneroster_current('users', 'users') }}
where {{ is_not_deleted() }}
