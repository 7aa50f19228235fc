-- Active person grants whose scope is no longer (or never was) backed by the roster at
-- the audit date: staff who left or no longer teach the class, students who moved,
-- guardianships that ended. The relationship must be the grant's role's: a head teacher
-- grant on a class backed by teaching it as a subject teacher is stale.
with params as (
    select * from {{ ref('int_governance__audit_params') }}
),

grant_scopes as (
    select g.grant_id, g.principal_id, g.role, g.scope_type, g.resource, g.valid_from,
        {{ fn('unnest') }}(case when cardinality(g.scope_ids) = 0 then {{ fn('list_value') }}(null) else g.scope_ids end) as scope_id
    from {{ ref('int_governance__grants') }} as g
    where g.is_active and coalesce(g.principal_type, 'user') = 'user' and g.role <> 'downstream_app'
),

current_scope as (
    select k.*
    from {{ ref('int_governance__principal_keys') }} as k
    cross join params as p
    where p.audit_date between k.effective_from and k.effective_to
),

backed as (
    select distinct s.grant_id, s.scope_id
    from grant_scopes as s
    inner join current_scope as k
        on k.principal_id = s.principal_id and k.role = s.role
        and (s.scope_id is null
             or k.scope_id = s.scope_id
             or (s.scope_type = 'school' and k.school_sourced_id = s.scope_id)
             or (s.scope_type = 'grade' and k.school_sourced_id || ':' || k.grade = s.scope_id)
             or (s.scope_type in ('district', 'subject') and k.district_sourced_id = split_part(s.scope_id, ':', 1)))
)

select
    'stale_grant' as check_name,
    s.principal_id,
    s.grant_id,
    cast({{ fn('list_value') }}() as {{ type_string_list() }}) as event_ids,
    coalesce(s.role, '?') || ' grant on ' || coalesce(s.resource, '?') || ' still covers '
        || s.scope_type || ' ' || {{ fn('array_to_string') }}({{ ordered_list("coalesce(s.scope_id, '(any)')", 's.scope_id') }}, ', ')
        || ' with no current roster relationship' as evidence,
    min(s.valid_from) as first_seen,
    min(s.valid_from) as last_seen
from grant_scopes as s
left join backed as b on b.grant_id = s.grant_id and b.scope_id is not distinct from s.scope_id
where b.grant_id is null
group by s.principal_id, s.grant_id, s.role, s.resource, s.scope_type
