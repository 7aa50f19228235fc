-- Every student enrolled in a month is counted exactly once in that month's school
-- denominator: on_roster (students, school rows) equals the distinct students with an
-- enrollment overlapping the month in a class of that school and segment, recomputed
-- here straight from the staged roster (a membership ends with its person and its class:
-- the earliest of the three last days, docs/inputs.md). Returns the months/schools that
-- disagree.
-- In a monthly run only the run's months: a roster delivery changes the roster of months
-- the run does not rebuild (a backdated enrollment), and those keep the figures they were
-- published with until a backfill (docs/operations.md), as the generic tests' scope does.
{%- set months = partition_months() %}
with months as (
    select * from {{ ref('int_months') }}
    {%- if months is not none %}
    where {{ in_list('month', months) }}
    {%- endif %}
),

classes as (
    select
        class_sourced_id,
        school_sourced_id,
        roster_end_date,
        {{ school_segment('lowest_grade') }} as segment
    from (
        select *, {{ fn('list_extract') }}(array_sort(filter(grades, {{ lambda('g') }} g is not null)), 1) as lowest_grade
        from {{ ref('stg_roster__classes') }}
    ) as c
),

expected as (
    select m.month, c.school_sourced_id, c.segment, count(distinct e.user_sourced_id) as on_roster
    from {{ ref('stg_roster__enrollments') }} as e
    inner join classes as c on c.class_sourced_id = e.class_sourced_id
    inner join {{ ref('stg_roster__users') }} as u on u.user_sourced_id = e.user_sourced_id
    inner join months as m
        on coalesce(e.begin_date, date '0001-01-01') <= m.month_end
        and least(coalesce(e.end_date, date '9999-12-31'), coalesce(u.roster_end_date, date '9999-12-31'),
                  coalesce(c.roster_end_date, date '9999-12-31')) >= m.month_start
    where e.role = 'student' and c.segment is not null and c.school_sourced_id is not null
    group by m.month, c.school_sourced_id, c.segment
),

actual as (
    select month, org_sourced_id as school_sourced_id, segment, on_roster
    from {{ ref('int_usage_monthly') }}
    where org_type = 'school' and population = 'student'
    {%- if months is not none %}
        and {{ in_list('month', months) }}
    {%- endif %}
)

select
    coalesce(e.month, a.month) as month,
    coalesce(e.school_sourced_id, a.school_sourced_id) as school_sourced_id,
    coalesce(e.segment, a.segment) as segment,
    e.on_roster as expected_on_roster,
    a.on_roster as actual_on_roster
from expected as e
full outer join actual as a
    on a.month = e.month and a.school_sourced_id = e.school_sourced_id and a.segment = e.segment
where e.on_roster is distinct from a.on_roster
