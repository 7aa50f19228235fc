-- Consents at their latest delivery. A consent covers [given_at, withdrawn_at) when
-- `covers`: its status lets it (status_covers) and it was given by the student's guardian
-- (given_by_guardian).
-- - status_covers: given (or left empty), or withdrawn with the time it was withdrawn.
--   Refused, denied, a withdrawal without its time, and any status the contract does not
--   name ('maybe', 'pending') cover nothing: a guardian's consent is never assumed.
-- - given_by_guardian: guardian_sourcedId is one of the student's guardians in the roster
--   (OneRoster agentSourcedIds, from either side, between people the roster still holds), the student (their own consent), or
--   left empty. Another child's parent cannot consent for this one.
-- - covers_from: when it starts to cover. A guardian's consent from given_at; the
--   student's own (or one naming no one) only from the student's 14th birthday, local
--   midnight (the policy's under_14_age: an under-14's data need a guardian's consent,
--   PIPL art. 31), and never when the roster holds no birth date. A 13-year-old's own
--   consent covered their research use (the governance probe).
-- The one home of the rule: the audit's consent check and the governed API read `covers`
-- and `covers_from`.
with consents as (
    select
        consent_id,
        student_sourcedId as student_sourced_id,
        nullif(trim(guardian_sourcedId), '') as guardian_sourced_id,
        lower(nullif(trim(purpose), '')) as purpose,
        lower(nullif(trim(data_category), '')) as data_category,
        lower(nullif(trim(status), '')) as status,
        given_at,
        withdrawn_at,
        _delivery,
        _landed_at
    from {{ latest_by_key(bronze_relation('governance', 'consents'), 'consent_id', modified_col='_landed_at') }}
    where consent_id is not null
),

-- the links the roster holds now: a guardian deleted or left out of a newer bulk (kept
-- there with roster_end_date) no longer consents, as before they were kept
users as (
    select user_sourced_id, role, agent_sourced_ids from {{ ref('stg_roster__users') }}
    where roster_end_date is null
),

links as (
    select user_sourced_id as student_id, {{ fn('unnest') }}(agent_sourced_ids) as guardian_id
    from users where role = 'student'
    union all
    select {{ fn('unnest') }}(agent_sourced_ids) as student_id, user_sourced_id as guardian_id
    from users where role in ('parent', 'guardian')
),

-- a guardian is a parent or a guardian (the contract), whichever side named the link: a
-- relative a student's agentSourcedIds name consents for no one
guardians as (
    select distinct l.student_id, l.guardian_id
    from links as l
    inner join users as g on g.user_sourced_id = l.guardian_id and g.role in ('parent', 'guardian')
),

age as (
    select max(cast(value as integer)) as years
    from {{ ref('governance_consent_rules') }} where rule = 'under_14_category'
),

judged as (
    select
        c.*,
        coalesce(c.status, 'given') = 'given' or (c.status = 'withdrawn' and c.withdrawn_at is not null)
            as status_covers,
        c.guardian_sourced_id is null or c.guardian_sourced_id = c.student_sourced_id as by_student,
        c.guardian_sourced_id is null or c.guardian_sourced_id = c.student_sourced_id
            or g.guardian_id is not null as given_by_guardian,
        {{ from_local_timestamp('cast(d.birth_date + ' ~ fn('to_years') ~ '(a.years) as timestamp)') }} as of_age_at
    from consents as c
    cross join age as a
    left join guardians as g on g.student_id = c.student_sourced_id and g.guardian_id = c.guardian_sourced_id
    left join {{ ref('stg_roster__demographics') }} as d on d.user_sourced_id = c.student_sourced_id
)

select
    consent_id, student_sourced_id, guardian_sourced_id, purpose, data_category, status, given_at, withdrawn_at,
    _delivery, _landed_at, status_covers, given_by_guardian, by_student,
    status_covers and given_by_guardian and (not by_student or of_age_at is not null) as covers,
    case when not by_student then given_at
         when of_age_at > given_at then of_age_at
         else given_at end as covers_from
from judged
