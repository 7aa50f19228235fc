{{ partitioned_by_month() }}
{%- set months = partition_months() %}
-- Micro-test answer rate (微测作答率) per month x org (school, district, city) x segment.
-- A micro-test is assigned to a class by an `assign` statement; its students are those
-- enrolled in that class in the month; a student answered when they have an `answered`
-- statement whose parent is that micro-test, or a `completed` of it, in the month.
-- Rows come from the student roster, so a month where nobody answered shows 0, not nothing.
-- Monthly-partitioned in Dagster: a run recomputes the requested months whole.
-- Set-wise: (micro-test, student) pairs are formed once at school level and folded to
-- one row per student; a district or city sums those, except for the rare student seen
-- in two of its schools, whose pairs are re-counted distinctly so nothing counts twice.
with roster_groups as (
    select distinct month, org_type, org_sourced_id, segment
    from (
        select month, 'school' as org_type, school_sourced_id as org_sourced_id, segment
        from {{ ref('int_roster_monthly') }} where population = 'student' and school_sourced_id is not null and {{ partition_scope('month', months) }}
        union all
        select month, 'district', district_sourced_id, segment
        from {{ ref('int_roster_monthly') }} where population = 'student' and district_sourced_id is not null and {{ partition_scope('month', months) }}
        union all
        select month, 'city', city_sourced_id, segment
        from {{ ref('int_roster_monthly') }} where population = 'student' and city_sourced_id is not null and {{ partition_scope('month', months) }}
    )
),

assigned as (
    select distinct a.month, a.microtest_id, a.class_sourced_id, c.segment,
        c.school_sourced_id, c.district_sourced_id, c.city_sourced_id
    from {{ ref('int_microtest_assignments') }} as a
    inner join {{ ref('int_classes') }} as c on c.class_sourced_id = a.class_sourced_id
    where c.segment is not null and a.assign_statements > 0 and {{ partition_scope('a.month', months) }}
),

months as (select * from {{ ref('int_months') }} where {{ partition_scope('month', months) }}),

responses as (
    select student_sourced_id, microtest_id, month, sum(answers) as answers, sum(completions) as completions
    from {{ ref('int_microtest_responses_daily') }}
    where {{ partition_scope('month', months) }}
    group by student_sourced_id, microtest_id, month
),

-- (micro-test, student) pairs per school: a student in two classes of the school given
-- the same micro-test is one pair. answered = answered or completed it in the month.
pairs as (
    select p.*, coalesce(r.answers, 0) as answers, coalesce(r.answers > 0 or r.completions > 0, false) as answered
    from (
        select distinct a.month, a.segment, a.school_sourced_id, a.district_sourced_id, a.city_sourced_id,
            a.microtest_id, e.person_sourced_id as student_sourced_id
        from assigned as a
        inner join months as m on m.month = a.month
        inner join {{ ref('int_enrollments_effective') }} as e
            on e.class_sourced_id = a.class_sourced_id
            and e.role = 'student'
            and e.effective_from <= m.month_end and e.effective_to >= m.month_start
    ) as p
    left join responses as r
        on r.student_sourced_id = p.student_sourced_id and r.microtest_id = p.microtest_id and r.month = p.month
),

-- One row per student and school: assigned anything, answered anything, answers.
school_students as (
    select month, segment, school_sourced_id, district_sourced_id, city_sourced_id, student_sourced_id,
        bool_or(answered) as answered, sum(answers) as answers
    from pairs
    group by month, segment, school_sourced_id, district_sourced_id, city_sourced_id, student_sourced_id
),

-- The same per district and per city. A student in several of the org's schools is one
-- student; their answers are summed over their distinct pairs in the org (rare case).
org_students as (
    select month, segment, 'district' as org_type, district_sourced_id as org_sourced_id, student_sourced_id,
        count(*) as schools, bool_or(answered) as answered, sum(answers) as answers
    from school_students where district_sourced_id is not null
    group by month, segment, district_sourced_id, student_sourced_id
    union all
    select month, segment, 'city', city_sourced_id, student_sourced_id,
        count(*), bool_or(answered), sum(answers)
    from school_students where city_sourced_id is not null
    group by month, segment, city_sourced_id, student_sourced_id
),

multi_school_answers as (
    select month, segment, org_type, org_sourced_id, student_sourced_id, sum(answers) as answers
    from (
        select distinct o.month, o.segment, o.org_type, o.org_sourced_id, o.student_sourced_id, p.microtest_id, p.answers
        from org_students as o
        inner join pairs as p
            on p.month = o.month and p.segment = o.segment and p.student_sourced_id = o.student_sourced_id
            and o.org_sourced_id = case o.org_type when 'district' then p.district_sourced_id else p.city_sourced_id end
        where o.schools > 1
    )
    group by month, segment, org_type, org_sourced_id, student_sourced_id
),

per_org as (
    select month, 'school' as org_type, school_sourced_id as org_sourced_id, segment,
        count(*) as students_assigned, count(*) filter (where answered) as students_answering, sum(answers) as answers
    from school_students
    group by month, school_sourced_id, segment
    union all
    select o.month, o.org_type, o.org_sourced_id, o.segment,
        count(*), count(*) filter (where o.answered), sum(coalesce(m.answers, o.answers))
    from org_students as o
    left join multi_school_answers as m
        on m.month = o.month and m.segment = o.segment and m.org_type = o.org_type
        and m.org_sourced_id = o.org_sourced_id and m.student_sourced_id = o.student_sourced_id
    group by o.month, o.org_type, o.org_sourced_id, o.segment
),

microtests as (
    select month, 'school' as org_type, school_sourced_id as org_sourced_id, segment, count(distinct microtest_id) as microtests_assigned
    from assigned where school_sourced_id is not null
    group by month, school_sourced_id, segment
    union all
    select month, 'district', district_sourced_id, segment, count(distinct microtest_id)
    from assigned where district_sourced_id is not null
    group by month, district_sourced_id, segment
    union all
    select month, 'city', city_sourced_id, segment, count(distinct microtest_id)
    from assigned where city_sourced_id is not null
    group by month, city_sourced_id, segment
)

select
    cast(g.month as string) as month,
    cast(g.org_sourced_id as string) as org_sourced_id,
    cast(g.org_type as string) as org_type,
    cast(o.org_name as string) as org_name,
    cast(g.segment as string) as segment,
    cast(coalesce(t.microtests_assigned, 0) as bigint) as microtests_assigned,
    cast(coalesce(p.students_assigned, 0) as bigint) as students_assigned,
    cast(coalesce(p.students_answering, 0) as bigint) as students_answering,
    -- 0 when tests were published and nobody answered (the seed's month: a zero shows as
    -- 0); no rate where nothing was published to anyone (0 of 0 is no answer rate)
    cast(case when coalesce(p.students_assigned, 0) > 0
              then p.students_answering / p.students_assigned end as double) as answer_rate,
    cast(coalesce(p.answers, 0) as bigint) as answers
from roster_groups as g
left join microtests as t using (month, org_type, org_sourced_id, segment)
left join per_org as p using (month, org_type, org_sourced_id, segment)
left join {{ ref('int_orgs') }} as o on o.org_sourced_id = g.org_sourced_id
order by month, org_type, org_sourced_id, segment
