-- People (students, teachers, parents/guardians, administrators) at their latest version.
-- Those who left stay, with their last day (roster_end_date: deleted, or no longer in a
-- newer bulk): the months and exams they were part of still count them, and their
-- memberships end with them (int_enrollments_effective).
--
-- disabled_since: the district-local day a person's account was disabled (enabledUser
-- false in their latest version), dated by the earliest version of the disabled run
-- that ends the history (its dateLastModified, else its landing): a later unrelated
-- change to a disabled account does not move the day. Their access scopes end the day
-- before (staff_scope); deletions say nothing about the account and are skipped.
with user_versions as (
    select
        sourcedId, enabledUser, coalesce(dateLastModified, _landed_at) as changed_at,
        row_number() over (partition by sourcedId order by {{ newest_first() }}) as newness
    from {{ bronze_relation('roster', 'users') }}
    where {{ is_not_deleted() }}
),

last_enabled as (
    select sourcedId, min(newness) as newness
    from user_versions where enabledUser is null or enabledUser
    group by sourcedId
),

disabled as (
    select v.sourcedId, {{ local_date('min(v.changed_at)') }} as disabled_since
    from user_versions as v
    left join last_enabled as e on e.sourcedId = v.sourcedId
    where not v.enabledUser and (e.newness is null or v.newness < e.newness)
    group by v.sourcedId
)

select
    u.sourcedId as user_sourced_id,
    coalesce(lower(nullif(trim(status), '')), 'active') as status,
    dateLastModified as date_last_modified,
    coalesce(enabledUser, true) as enabled_user,
    d.disabled_since,
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
from {{ oneroster_current('users', 'users', keep_ended=true) }} as u
left join disabled as d on d.sourcedId = u.sourcedId
where {{ roster_record_dated() }}
