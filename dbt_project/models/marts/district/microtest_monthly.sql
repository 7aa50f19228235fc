{{ config(post_hook=["{{ export_parquet() }}"]) }}
-- Micro-test answer rate (微测作答率) per month x org (school, district, city) x segment.
-- A micro-test is assigned to a class by an `assign` statement; its students are those
-- enrolled in that class in the month; a student answered when they have an `answered`
-- statement whose parent is that micro-test, or a `completed` of it, in the month.
-- Rows come from the student roster, so a month where nobody answered shows 0, not nothing.
with roster_groups as (
    select distinct month, org_type, org_sourced_id, segment
    from (
        select month, 'school' as org_type, school_sourced_id as org_sourced_id, segment
        from {{ ref('int_roster_monthly') }} where population = 'student' and school_sourced_id is not null
        union all
        select month, 'district', district_sourced_id, segment
        from {{ ref('int_roster_monthly') }} where population = 'student' and district_sourced_id is not null
        union all
        select month, 'city', city_sourced_id, segment
        from {{ ref('int_roster_monthly') }} where population = 'student' and city_sourced_id is not null
    )
),

assigned as (
    select distinct a.month, a.microtest_id, a.class_sourced_id, c.segment,
        c.school_sourced_id, c.district_sourced_id, c.city_sourced_id
    from {{ ref('int_microtest_assignments') }} as a
    inner join {{ ref('int_classes') }} as c on c.class_sourced_id = a.class_sourced_id
    where c.segment is not null
),

assigned_by_org as (
    select month, 'school' as org_type, school_sourced_id as org_sourced_id, segment, microtest_id, class_sourced_id
    from assigned where school_sourced_id is not null
    union all
    select month, 'district', district_sourced_id, segment, microtest_id, class_sourced_id
    from assigned where district_sourced_id is not null
    union all
    select month, 'city', city_sourced_id, segment, microtest_id, class_sourced_id
    from assigned where city_sourced_id is not null
),

months as (select * from {{ ref('int_months') }}),

-- (student, micro-test) pairs per org: a student in two classes given the same
-- micro-test is one pair.
student_microtests as (
    select distinct a.month, a.org_type, a.org_sourced_id, a.segment, a.microtest_id,
        e.person_sourced_id as student_sourced_id
    from assigned_by_org as a
    inner join months as m on m.month = a.month
    inner join {{ ref('int_enrollments_effective') }} as e
        on e.class_sourced_id = a.class_sourced_id
        and e.role = 'student'
        and e.effective_from <= m.month_end and e.effective_to >= m.month_start
),

responses as (
    select student_sourced_id, microtest_id, month, sum(answers) as answers, sum(completions) as completions
    from {{ ref('int_microtest_responses_daily') }}
    group by student_sourced_id, microtest_id, month
),

per_org as (
    select
        s.month, s.org_type, s.org_sourced_id, s.segment,
        count(distinct s.student_sourced_id) as students_assigned,
        count(distinct s.student_sourced_id) filter (where r.answers > 0 or r.completions > 0) as students_answering,
        coalesce(sum(r.answers), 0) as answers
    from student_microtests as s
    left join responses as r
        on r.student_sourced_id = s.student_sourced_id
        and r.microtest_id = s.microtest_id
        and r.month = s.month
    group by s.month, s.org_type, s.org_sourced_id, s.segment
),

microtests as (
    select month, org_type, org_sourced_id, segment, count(distinct microtest_id) as microtests_assigned
    from assigned_by_org
    group by month, org_type, org_sourced_id, segment
)

select
    cast(g.month as varchar) as month,
    cast(g.org_sourced_id as varchar) as org_sourced_id,
    cast(g.org_type as varchar) as org_type,
    cast(o.org_name as varchar) as org_name,
    cast(g.segment as varchar) as segment,
    cast(coalesce(t.microtests_assigned, 0) as bigint) as microtests_assigned,
    cast(coalesce(p.students_assigned, 0) as bigint) as students_assigned,
    cast(coalesce(p.students_answering, 0) as bigint) as students_answering,
    cast(case when coalesce(p.students_assigned, 0) > 0
              then p.students_answering / p.students_assigned else 0 end as double) as answer_rate,
    cast(coalesce(p.answers, 0) as bigint) as answers
from roster_groups as g
left join microtests as t using (month, org_type, org_sourced_id, segment)
left join per_org as p using (month, org_type, org_sourced_id, segment)
left join {{ ref('int_orgs') }} as o on o.org_sourced_id = g.org_sourced_id
order by month, org_type, org_sourced_id, segment
