-- Every student whose rows an access returned, with whether it was in scope on the
-- event's local date: covered by the principal's roster scope (staff_scope keys meet the
-- student's date-effective class/grade/school/district/city/self/child keys) and, when
-- the event cites a grant, by that grant's own scope ids too. A read runs under one grant
-- (docs/serve.md), so a teacher's grant on one class does not cover the students of
-- another class the teacher also teaches.
-- Appended (macro appended_lines): a run adds the subjects of the events it has not
-- seen, and rebuilds the table whole when the roster keys changed or the events were
-- rebuilt for their own inputs.
{%- set log_model = 'int_governance__events' %}
{%- set inputs = ['int_governance__principal_keys', 'int_governance__student_keys', 'stg_governance__grants'] %}
{{ appended_lines(log_model, inputs, upstream=[log_model]) }}
{%- set fingerprint = lines_fingerprint(log_model, inputs, upstream=[log_model]) %}

with events as (
    select event_id, event_time, local_date, principal_id, role, grant_id, purpose, resource,
        classes_read, {{ fn('unnest') }}(subject_ids) as subject_id, _delivery, _position
    from {{ ref('int_governance__events') }} as line
    where is_access and principal_id is not null and {{ unseen_lines('line') }}
),

covered as (
    select distinct e.event_id, e.subject_id
    from events as e
    inner join {{ ref('int_governance__principal_keys') }} as p
        on p.principal_id = e.principal_id and p.role = e.role
        and e.local_date between p.effective_from and p.effective_to
    inner join {{ ref('int_governance__student_keys') }} as s
        on s.student_id = e.subject_id and s.key_type = p.key_type and s.key_value = p.key_value
        and e.local_date between s.effective_from and s.effective_to
),

-- the cited grant's scope ids as student keys (the mapping of principal_keys); an
-- aggregate_only grant has none
grant_keys as (
    select grant_id,
        case scope_type when 'subject' then 'district' else scope_type end as key_type,
        case scope_type when 'subject' then split_part(scope_id, ':', 1) else scope_id end as key_value
    from (select grant_id, scope_type, {{ fn('unnest') }}(scope_ids) as scope_id
          from {{ ref('stg_governance__grants') }}) as g
    where scope_type in ('class', 'grade', 'school', 'subject', 'district', 'city', 'self', 'child')
),

cited as (
    select distinct grant_id from {{ ref('stg_governance__grants') }}
),

granted as (
    select distinct e.event_id, e.subject_id
    from events as e
    inner join grant_keys as g on g.grant_id = e.grant_id
    inner join {{ ref('int_governance__student_keys') }} as s
        on s.student_id = e.subject_id and s.key_type = g.key_type and s.key_value = g.key_value
        and e.local_date between s.effective_from and s.effective_to
)

select e.event_id, e.event_time, e.local_date, e.principal_id, e.role, e.grant_id, e.purpose, e.resource,
    e.classes_read, e.subject_id,
    c.event_id is not null and (k.grant_id is null or g.event_id is not null) as in_scope,
    e._delivery, e._position, '{{ fingerprint }}' as _inputs_fingerprint
from events as e
left join covered as c on c.event_id = e.event_id and c.subject_id = e.subject_id
left join cited as k on k.grant_id = e.grant_id
left join granted as g on g.event_id = e.event_id and g.subject_id = e.subject_id
