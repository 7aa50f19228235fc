{#- The distribution of a per-student level (a fitness grade, a psych risk level) over the
    roster's scopes: each homeroom, grade (<school>:<grade>, as staff_scope names it),
    school and district, with small-cell suppression across them. `latest` is a relation
    of one row per student (and `dims`) with student_key, homeroom_class_sourced_id,
    school_sourced_id, grade and the column `level`. Each row names its parent scope (a
    homeroom's grade, a grade's school, a school's district). A scope with 1 .. min_cell - 1
    students is hidden whole; a homeroom is a part of its grade's line, a grade of its
    school's, a school of its district's, and each scope is the total of its own line, so a
    hidden scope is never the difference of shown ones (macro suppress_small_cells).
    Every scope has one row for each level of var wellbeing_levels[level], 0 where none
    of its students has it: with rows for only the levels present, a hidden homeroom whose
    one row was `high` told its one student's risk, and a hidden grade's rows, with the
    shown ones around it, gave its counts back. A level outside the catalogue (landing
    refuses such values) still gets its own rows.
    Emits CTEs and the final select, to be written after a comma inside a WITH. -#}
{% macro scope_distribution(latest, level, dims=[]) -%}
{%- set prefix -%}{% for d in dims %}coalesce({{ d }}, '') || '|' || {% endfor %}{%- endset -%}
placed as (
    select l.*, h.district_sourced_id
    from {{ latest }} as l
    left join {{ ref('int_org_hierarchy') }} as h on h.school_sourced_id = l.school_sourced_id
    where l.homeroom_class_sourced_id is not null and l.school_sourced_id is not null
      and l.{{ level }} is not null
),

scoped as (
    select {% for d in dims %}{{ d }}, {% endfor %}'class' as scope_type, homeroom_class_sourced_id as scope_id,
        school_sourced_id || ':' || coalesce(grade, '') as parent_scope_id,
        school_sourced_id, district_sourced_id, {{ level }} as level, student_key,
        'grade:' || school_sourced_id || ':' || coalesce(grade, '') as line_of, null as total_of
    from placed
    union all
    select {% for d in dims %}{{ d }}, {% endfor %}'grade', school_sourced_id || ':' || coalesce(grade, ''),
        school_sourced_id, school_sourced_id, district_sourced_id, {{ level }}, student_key,
        'school:' || school_sourced_id, 'grade:' || school_sourced_id || ':' || coalesce(grade, '')
    from placed
    union all
    select {% for d in dims %}{{ d }}, {% endfor %}'school', school_sourced_id,
        district_sourced_id, school_sourced_id, district_sourced_id, {{ level }}, student_key,
        'district:' || district_sourced_id, 'school:' || school_sourced_id
    from placed
    union all
    select {% for d in dims %}{{ d }}, {% endfor %}'district', district_sourced_id,
        null, null, district_sourced_id, {{ level }}, student_key,
        null, 'district:' || district_sourced_id
    from placed where district_sourced_id is not null
),

counts as (
    select
        {% for d in dims %}{{ d }}, {% endfor %}scope_type, scope_id, level,
        any_value(parent_scope_id) as parent_scope_id,
        any_value(school_sourced_id) as school_sourced_id,
        any_value(district_sourced_id) as district_sourced_id,
        any_value(line_of) as line_of,
        any_value(total_of) as total_of,
        count(distinct student_key) as students
    from scoped
    group by {% for d in dims %}{{ d }}, {% endfor %}scope_type, scope_id, level
),

scopes as (
    select
        {% for d in dims %}{{ d }}, {% endfor %}scope_type, scope_id,
        any_value(parent_scope_id) as parent_scope_id,
        any_value(school_sourced_id) as school_sourced_id,
        any_value(district_sourced_id) as district_sourced_id,
        any_value(line_of) as line_of,
        any_value(total_of) as total_of
    from counts
    group by {% for d in dims %}{{ d }}, {% endfor %}scope_type, scope_id
),

-- every scope x every level of the catalogue (and any other level found)
levels as (
    select {{ fn('unnest') }}({{ fn('list_value') }}({% for v in var('wellbeing_levels')[level] %}'{{ v }}'{{ ", " if not loop.last }}{% endfor %})) as level
    union
    select distinct level from counts
),

grid as (
    select {% for d in dims %}k.{{ d }}, {% endfor %}k.scope_type, k.scope_id, v.level, k.parent_scope_id,
        k.school_sourced_id, k.district_sourced_id, k.line_of, k.total_of,
        coalesce(c.students, 0) as students
    from scopes as k
    cross join levels as v
    left join counts as c
        on {% for d in dims %}coalesce(c.{{ d }}, '') = coalesce(k.{{ d }}, '') and {% endfor %}c.scope_type = k.scope_type
        and c.scope_id = k.scope_id and c.level = v.level
),

sized as (
    select *, sum(students) over (partition by {% for d in dims %}{{ d }}, {% endfor %}scope_type, scope_id) as scope_students
    from grid
),

scope_cells as (
    select distinct
        {{ prefix }}scope_type || ':' || scope_id as cell_id,
        {{ prefix }}line_of as line_id,
        {{ prefix }}total_of as total_of,
        scope_students as size
    from sized
),

{{ suppress_small_cells('scope_cells') }}

select
    {% for d in dims %}s.{{ d }}, {% endfor %}s.scope_type,
    s.scope_id,
    s.parent_scope_id,
    s.school_sourced_id,
    s.district_sourced_id,
    s.level as {{ level }},
    cast({{ unless_suppressed('s.students', 'x.suppressed') }} as bigint) as students,
    cast({{ unless_suppressed('s.scope_students', 'x.suppressed') }} as bigint) as scope_students,
    cast({{ unless_suppressed('s.students / s.scope_students', 'x.suppressed') }} as double) as share,
    cast(x.suppressed as boolean) as suppressed
from sized as s
inner join suppression as x on x.cell_id = {{ prefix | replace('coalesce(', 'coalesce(s.') }}s.scope_type || ':' || s.scope_id
{%- endmacro %}
