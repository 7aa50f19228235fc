{#- Small-cell suppression: the one implementation, used by every public aggregate mart.

    A group of 1 .. min_cell - 1 people is hidden (primary suppression). Zero is shown:
    it reveals nobody, and the seeds publish a 0 % rate as 0.

    Complementary suppression works on "lines": a line is a total and the parts it sums
    (a district row and its schools' rows, a city row and its districts' rows). A line
    with exactly one hidden member would give that member away (total minus the shown
    parts, or the sum of the parts for a hidden total), so a second member is hidden: the
    smallest non-empty shown part, else the total itself (a district with one junior
    school: its junior row equals the school's). Hiding a cell can expose another line it
    belongs to, so this repeats; `passes` rounds are unrolled as set-based CTEs and the
    test assert_no_recoverable_cells fails the build if any line is still exposed. -#}

{% macro min_cell() -%}
{{ var('min_cell') | int }}
{%- endmacro %}

{% macro is_small_cell(size) -%}
({{ size }} > 0 and {{ size }} < {{ min_cell() }})
{%- endmacro %}

{#- `cells`: a relation with cell_id (unique), line_id (the line the cell is a part of, or
    null), total_of (the line the cell is the total of, or null) and size (people). Emits
    CTEs `<name>_0 .. <name>_<passes>` and `<name>` (cell_id, suppressed), to be written
    after a comma inside a WITH. -#}
{% macro suppress_small_cells(cells, name='suppression', passes=6) -%}
{{ name }}_0 as (
    select cell_id, line_id, total_of, size, coalesce({{ is_small_cell('size') }}, false) as suppressed
    from {{ cells }}
),
{%- for i in range(1, passes + 1) %}
{#- Each pass reads the previous one once: a cell becomes one row per line it is in (as
    a part, as a total), the lines' counts are windows, and grouping by cell brings the
    cell back. An engine that inlines CTEs (Spark) then plans passes x cells, not
    3^passes copies of the first. -#}
{{ name }}_{{ i }}_members as (
    select cell_id, line_id, total_of, size, suppressed, m.line as line, m.is_total as is_total
    from (
        select p.*, {{ fn('unnest') }}({{ fn('list_value') }}(
            {{ make_struct([('line', 'p.line_id'), ('is_total', 'false')]) }},
            {{ make_struct([('line', 'p.total_of'), ('is_total', 'true')]) }})) as m
        from {{ name }}_{{ i - 1 }} as p
    ) as x
),
{{ name }}_{{ i }} as (
    select cell_id, any_value(line_id) as line_id, any_value(total_of) as total_of, any_value(size) as size,
        bool_or(suppressed or (exposed and pick = 1)) as suppressed
    from (
        select cell_id, line_id, total_of, size, suppressed,
            -- sums of 0/1, not count(*) filter (...): DuckDB 2.0 ran a filtered count
            -- window about 1 s per pass on a district's 55,600 exam cell memberships
            line is not null
                and sum(case when is_total then 1 else 0 end) over (partition by line) = 1
                and sum(case when suppressed then 1 else 0 end) over (partition by line) = 1 as exposed,
            -- the member to hide: the smallest non-empty shown part, else the total
            row_number() over (partition by line, suppressed order by is_total, size = 0, size, cell_id)
                + case when suppressed then 1 else 0 end as pick
        from {{ name }}_{{ i }}_members
    ) as ranked
    group by cell_id
),
{%- endfor %}
{{ name }} as (
    select cell_id, suppressed from {{ name }}_{{ passes }}
)
{%- endmacro %}

{#- A measure as published: null where the row is suppressed. -#}
{% macro unless_suppressed(expr, flag='suppressed') -%}
case when {{ flag }} then null else {{ expr }} end
{%- endmacro %}

{#- The suppression cell of a term-mart row (int_exam_term_suppression). -#}
{% macro exam_term_cell_id(scope_type, scope_id, class_type, session, subject) -%}
({{ session }} || '|' || {{ subject }} || '|' || {{ scope_type }} || ':' || {{ scope_id }} || ':' || coalesce({{ class_type }}, ''))
{%- endmacro %}

{#- The suppression cell of a per-exam row of quality_map or class_exam (int_exam_suppression). -#}
{% macro exam_cell_id(scope_type, scope_id, class_type, exam_id) -%}
({{ exam_id }} || '|' || {{ scope_type }} || ':' || {{ scope_id }} || ':' || coalesce({{ class_type }}, ''))
{%- endmacro %}

{#- The suppression of an org rollup table (usage_monthly, microtest_monthly): `source` is
    a CTE with org_type (school | district | city), org_sourced_id and the `line_dims`
    columns. A school row is a part of its district's line (else its city's), a district
    row a part of its city's, and district and city rows are totals, within the same
    `line_dims` values. Emits the CTEs `keyed` (source rows with their cell_id) and
    `suppression` (cell_id, suppressed), to be written after a comma inside a WITH. -#}
{% macro org_rollup_suppression(source, line_dims, size) -%}
rollup_hierarchy as (
    select school_sourced_id, district_sourced_id, city_sourced_id from {{ ref('int_org_hierarchy') }}
),

rollup_district_cities as (
    select district_sourced_id, any_value(city_sourced_id) as city_sourced_id
    from rollup_hierarchy where district_sourced_id is not null
    group by district_sourced_id
),

keyed as (
    select
        s.*,
        {% for dim in line_dims %}s.{{ dim }} || '|' || {% endfor %}s.org_type || ':' || s.org_sourced_id as cell_id,
        {% for dim in line_dims %}s.{{ dim }} || '|' || {% endfor %}case s.org_type
            when 'school' then coalesce('district:' || h.district_sourced_id, 'city:' || h.city_sourced_id)
            when 'district' then 'city:' || d.city_sourced_id
        end as line_id,
        case when s.org_type in ('district', 'city')
            then {% for dim in line_dims %}s.{{ dim }} || '|' || {% endfor %}s.org_type || ':' || s.org_sourced_id
        end as total_of
    from {{ source }} as s
    left join rollup_hierarchy as h on s.org_type = 'school' and h.school_sourced_id = s.org_sourced_id
    left join rollup_district_cities as d on s.org_type = 'district' and d.district_sourced_id = s.org_sourced_id
),

rollup_cells as (
    select cell_id, line_id, total_of, {{ size }} as size from keyed
),

{{ suppress_small_cells('rollup_cells') }}
{%- endmacro %}
