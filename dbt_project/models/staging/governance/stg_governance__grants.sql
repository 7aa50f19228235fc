-- Grants at their latest delivery. A grant names one resource; scope_ids follow the
-- staff_scope conventions (grade '<school>:<grade>', subject '<district>:<subject>').
-- The contract leaves the form of a grade's or a subject's id open: one named without its
-- school or district ('07', 'math') is read in the principal's own staff assignments
-- (x_staff_assignments), as the grade they lead in each of their schools or the subject
-- they research in each of their districts. An id no assignment explains stays as it
-- came, and the audit finds the grant stale.
with delivered as (
    select
        grant_id,
        principal_id,
        lower(nullif(trim(principal_type), '')) as principal_type,
        lower(nullif(trim(role), '')) as role,
        lower(nullif(trim(scope_type), '')) as scope_type,
        coalesce(filter(scope_ids, {{ lambda('x') }} nullif(trim(x), '') is not null), {{ fn('list_value') }}()) as scope_ids,
        resource,
        coalesce(columns, {{ fn('list_value') }}()) as columns,
        {{ fn('list_transform') }}(coalesce(actions, {{ fn('list_value') }}()), {{ lambda('x') }} lower(trim(x))) as actions,
        {{ fn('list_transform') }}(coalesce(purposes, {{ fn('list_value') }}()), {{ lambda('x') }} lower(trim(x))) as purposes,
        coalesce(sensitive, false) as sensitive,
        nullif(trim(granted_by), '') as granted_by,
        nullif(trim(approved_by), '') as approved_by,
        valid_from,
        valid_to,
        revoked_at,
        _delivery,
        _landed_at
    from {{ latest_by_key(bronze_relation('governance', 'grants'), 'grant_id', modified_col='_landed_at') }}
    where grant_id is not null
),

bare_ids as (
    select grant_id, principal_id, scope_type, trim(scope_id) as scope_id
    from (
        select grant_id, principal_id, scope_type, {{ fn('unnest') }}(scope_ids) as scope_id
        from delivered
        where scope_type in ('grade', 'subject')
    ) as ids
),

resolved as (
    select distinct
        i.grant_id,
        case
            when i.scope_id like '%:%' or a.org_sourced_id is null then i.scope_id
            when i.scope_type = 'grade' then a.org_sourced_id || ':' || a.grade
            else a.org_sourced_id || ':' || a.subject
        end as scope_id
    from bare_ids as i
    left join {{ ref('stg_roster__staff_assignments') }} as a
        on i.scope_id not like '%:%'
        and a.user_sourced_id = i.principal_id
        and ((i.scope_type = 'grade' and a.role = 'grade_leader' and a.grade = {{ grade_code('i.scope_id') }})
             or (i.scope_type = 'subject' and a.role = 'subject_researcher' and lower(a.subject) = lower(i.scope_id)))
),

read_ids as (
    select grant_id, {{ ordered_list('scope_id', 'scope_id') }} as scope_ids
    from resolved
    group by grant_id
)

select
    d.grant_id,
    d.principal_id,
    d.principal_type,
    d.role,
    d.scope_type,
    coalesce(r.scope_ids, d.scope_ids) as scope_ids,
    d.resource,
    d.columns,
    d.actions,
    d.purposes,
    d.sensitive,
    d.granted_by,
    d.approved_by,
    d.valid_from,
    d.valid_to,
    d.revoked_at,
    d._delivery,
    d._landed_at
from delivered as d
left join read_ids as r on r.grant_id = d.grant_id
