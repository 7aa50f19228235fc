-- Re-checks the whole-person aggregates' suppression from their own published rows,
-- independently of macro suppress_small_cells: a grade's row with its homerooms' rows, a
-- school's with its grades', a district's with its schools' (per session for fitness). No
-- line may hold exactly one suppressed scope, and no shown scope may count 1 .. min_cell
-- - 1 students. Returns offending lines.
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
)

select * from lines where hidden = 1 or small_shown > 0
