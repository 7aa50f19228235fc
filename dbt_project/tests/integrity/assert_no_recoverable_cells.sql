-- Re-checks the published suppression from the marts' own rows and the org hierarchy,
-- independently of macro suppress_small_cells: no line may hold exactly one suppressed
-- row, and no shown row may count 1 .. min_cell - 1 people. Returns offending lines.
{%- set marts = [
    ('usage_monthly', "m.month || '|' || m.population || '|' || m.segment", 'on_roster'),
    ('microtest_monthly', "m.month || '|' || m.segment", 'students_assigned'),
] %}
with hierarchy as (
    select school_sourced_id, district_sourced_id, city_sourced_id from {{ ref('int_org_hierarchy') }}
),
{%- for mart, prefix, size in marts %}
{{ mart }}_members as (
    -- a school is a part of its district's line (else its city's); a district of its city's
    select {{ prefix }} as line_prefix,
        coalesce(h.district_sourced_id, h.city_sourced_id) as line_org, m.suppressed, m.{{ size }} as size
    from {{ ref(mart) }} as m inner join hierarchy as h on h.school_sourced_id = m.org_sourced_id
    where m.org_type = 'school'
    union all
    select {{ prefix }},
        d.city_sourced_id, m.suppressed, m.{{ size }}
    from {{ ref(mart) }} as m
    inner join (select distinct district_sourced_id, city_sourced_id from hierarchy) as d
        on d.district_sourced_id = m.org_sourced_id
    where m.org_type = 'district'
    union all
    -- every district or city row is the total of its own line
    select {{ prefix }},
        m.org_sourced_id, m.suppressed, m.{{ size }}
    from {{ ref(mart) }} as m where m.org_type in ('district', 'city')
),
{%- endfor %}
lines as (
{%- for mart, prefix, size in marts %}
    select '{{ mart }}' as mart, line_prefix, line_org, count(*) filter (where suppressed) as hidden,
        count(*) filter (where not suppressed and size > 0 and size < {{ min_cell() }}) as small_shown
    from {{ mart }}_members where line_org is not null
    group by line_prefix, line_org
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
)
select * from lines where hidden = 1 or small_shown > 0
