-- Student-level uses that need consent (research always; an under-14's health or psych
-- data unless own teachers teach or a guardian reads their own child) without a consent
-- for that student, purpose and data category covering the event's time. "Own" is the
-- exemption's half that role and purpose cannot say: the student is in the principal's
-- scope on that day (event_subjects.in_scope, its roster scope and its grant's). A
-- teacher teaching another class's student needs consent like anyone else; the scope
-- itself is out_of_scope_subject's finding.
with rules as (
    select * from {{ ref('governance_consent_rules') }}
),

required_purposes as (
    select array_agg(purpose) as purposes from rules where rule = 'required_purpose'
),

under_14 as (
    select array_agg(category) as categories, max(cast(value as integer)) as age
    from rules where rule = 'under_14_category'
),

exempt as (
    select role, purpose from rules where rule = 'exempt'
),

uses as (
    select
        s.*,
        i.birth_date,
        array_intersect(s.classes_read, u.categories) as sensitive_categories,
        coalesce(array_contains(r.purposes, s.purpose), false) as purpose_needs_consent,
        -- an unknown age is an under-14's: the stricter rule until the roster says otherwise
        -- (a student whose birth date a delta blanked lost the rule: the governance probe)
        i.birth_date is null or i.birth_date > s.local_date - {{ fn('to_years') }}(u.age) as is_under_14,
        x.role is not null and s.in_scope as is_exempt
    from {{ ref('int_governance__event_subjects') }} as s
    cross join required_purposes as r
    cross join under_14 as u
    left join {{ ref('student_identity') }} as i on i.student_sourced_id = s.subject_id
    -- an event without a purpose is exempt from nothing (log_missing_fields reports the
    -- field; it also let an under-14's psych read pass without consent)
    left join exempt as x on x.role = s.role and x.purpose = s.purpose
),

needing as (
    select
        *,
        coalesce({{ fn('list_extract') }}(sensitive_categories, 1), 'learning') as consent_category
    from uses
    where purpose_needs_consent
       or (is_under_14 and cardinality(sensitive_categories) > 0 and not is_exempt)
),

consented as (
    select distinct n.event_id, n.subject_id
    from needing as n
    inner join {{ ref('stg_governance__consents') }} as c
        on c.student_sourced_id = n.subject_id
        and c.purpose = n.purpose
        and c.data_category in (n.consent_category, 'all')
        and c.covers
        and c.covers_from <= n.event_time
        and (c.withdrawn_at is null or c.withdrawn_at > n.event_time)
)

select
    'consent_missing' as check_name,
    n.principal_id,
    n.grant_id,
    array_sort(array_agg(distinct n.event_id)) as event_ids,
    count(distinct n.event_id) || ' use(s) for ' || {{ distinct_text("coalesce(n.purpose, 'no purpose')", ', ') }} || ' of '
        || count(distinct n.subject_id) || ' student(s) without valid consent ('
        || {{ distinct_text('n.consent_category', ', ') }} || '), e.g. ' || min(n.subject_id) as evidence,
    min(n.event_time) as first_seen,
    max(n.event_time) as last_seen
from needing as n
left join consented as c on c.event_id = n.event_id and c.subject_id = n.subject_id
where c.event_id is null
group by n.principal_id, n.grant_id
