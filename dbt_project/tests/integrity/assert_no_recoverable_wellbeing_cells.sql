-- Re-checks the whole-person aggregates' suppression from their own published rows,
-- independently of macro suppress_small_cells: a grade's row with its homerooms' rows, a
-- school's with its grades', a district's with its schools' (per session for fitness). No
-- line may hold exactly one suppressed scope, no shown scope may count 1 .. min_cell
-- - 1 students, and every scope has a row for each level of the catalogue (var
-- wellbeing_levels): a hidden scope with rows for only its students' levels names them.
-- Returns offending lines and scopes.
with scopes as (
    select distinct 'fitness' as mart, coalesce(academic_session, '') as session, scope_type, scope_id,
        parent_scope_id, suppressed, scope_students as size
    from {{ ref('scope_fitness') }}
    union all
    select distinct 'psych', '', scope_type, scope_id, parent_scope_id, suppressed, scope_students
    from {{ ref('scope_psych') }}
),

-- a line: a scope (its total) and the scopes whose parent it is (its parts)
members as (
    select mart, session, scope_id as line, suppressed, size from scopes where scope_type <> 'class'
    union all
    select mart, session, parent_scope_id, suppressed, size from scopes where parent_scope_id is not null
),

lines as (
    select mart, session, line,
        count(*) filter (where suppressed) as hidden,
        count(*) filter (where not suppressed and size > 0 and size < {{ min_cell() }}) as small_shown
    from members
    group by mart, session, line
),

-- the catalogue levels a scope lacks a row for
missing_levels as (
    select 'fitness' as mart, coalesce(f.academic_session, '') as session, f.scope_type || ':' || f.scope_id as scope,
        {{ var('wellbeing_levels')['fitness_grade'] | length }} - count(distinct case when f.fitness_grade in
            ('{{ var('wellbeing_levels')['fitness_grade'] | join("', '") }}') then f.fitness_grade end) as missing
    from {{ ref('scope_fitness') }} as f
    group by f.academic_session, f.scope_type, f.scope_id
    union all
    select 'psych', '', p.scope_type || ':' || p.scope_id,
        {{ var('wellbeing_levels')['risk_level'] | length }} - count(distinct case when p.risk_level in
            ('{{ var('wellbeing_levels')['risk_level'] | join("', '") }}') then p.risk_level end)
    from {{ ref('scope_psych') }} as p
    group by p.scope_type, p.scope_id
)

select mart, session, line, hidden, small_shown, cast(null as bigint) as missing_levels
from lines where hidden = 1 or small_shown > 0
union all
select mart, session, scope, null, null, missing from missing_levels where missing > 0
