-- The key to the pseudonyms: student_key <-> sourcedId, names, school, grade, homeroom,
-- birth date and guardians. Restricted (direct identifiers of minors): only identity
-- resolution for permitted uses may read it. The homeroom is the one active on the
-- reference date (var reference_date, default today), else the latest one begun.
{%- set ref_date = reference_day() %}

with students as (
    select * from {{ ref('stg_roster__users') }} where role = 'student'
),

homerooms as (
    select
        person_sourced_id,
        class_sourced_id,
        class_title,
        grade,
        school_sourced_id,
        district_sourced_id
    from {{ ref('int_enrollments_effective') }}
    where role = 'student' and class_type = 'homeroom'
    qualify row_number() over (
        partition by person_sourced_id
        order by ({{ ref_date }} between effective_from and effective_to) desc, effective_from desc, class_sourced_id
    ) = 1
),

-- Guardian links go both ways in OneRoster: the student's agentSourcedIds and the
-- parents' agentSourcedIds. Only between people the roster still holds: a student who
-- left, or a parent deleted or left out of a newer bulk, links no one (a guardian's
-- scope has no end date of its own, staff_scope), while the student keeps the key. And
-- only to a parent or a guardian (the contract): a `relative`, or any other user a
-- student's agentSourcedIds name, is no guardian and gets no child's scope (a relative
-- got a parent's scope: the roster probe).
guardian_links as (
    select user_sourced_id as student_sourced_id, {{ fn('unnest') }}(agent_sourced_ids) as guardian_sourced_id
    from students
    where roster_end_date is null
    union
    select {{ fn('unnest') }}(agent_sourced_ids), user_sourced_id
    from {{ ref('stg_roster__users') }}
    where role in ('parent', 'guardian') and roster_end_date is null
),

guardians as (
    select student_sourced_id, array_sort(array_agg(distinct guardian_sourced_id)) as guardian_sourced_ids
    from guardian_links
    where guardian_sourced_id is not null
      and student_sourced_id in (select user_sourced_id from students where roster_end_date is null)
      and guardian_sourced_id in (select user_sourced_id from {{ ref('stg_roster__users') }}
                                  where role in ('parent', 'guardian') and roster_end_date is null)
    group by student_sourced_id
),

schools as (
    select school_sourced_id, school_name, district_sourced_id from {{ ref('int_org_hierarchy') }}
),

-- Students without a homeroom: the first school among their orgs.
first_school as (
    select o.user_sourced_id, sc.*
    from (
        select user_sourced_id, org_sourced_ids, {{ fn('unnest') }}(org_sourced_ids) as org_sourced_id
        from students
    ) as o
    inner join schools as sc on sc.school_sourced_id = o.org_sourced_id
    qualify row_number() over (
        partition by o.user_sourced_id order by array_position(o.org_sourced_ids, o.org_sourced_id)) = 1
)

select
    cast({{ pseudonymize('s.user_sourced_id') }} as string) as student_key,
    cast(s.user_sourced_id as string) as student_sourced_id,
    cast(s.given_name as string) as given_name,
    cast(s.family_name as string) as family_name,
    cast(coalesce(h.school_sourced_id, fs.school_sourced_id) as string) as school_sourced_id,
    cast(coalesce(hs.school_name, fs.school_name) as string) as school_name,
    cast(coalesce(h.district_sourced_id, fs.district_sourced_id) as string) as district_sourced_id,
    cast(coalesce(h.grade, {{ fn('list_extract') }}(s.grades, 1)) as string) as grade,
    cast(h.class_sourced_id as string) as homeroom_class_sourced_id,
    cast(h.class_title as string) as homeroom_title,
    cast(d.birth_date as date) as birth_date,
    cast(case when d.birth_date is null then null
              else d.birth_date > {{ ref_date }} - interval 14 year end as boolean) as is_under_14,
    cast(d.sex as string) as sex,
    cast(coalesce(g.guardian_sourced_ids, {{ fn('list_value') }}()) as {{ type_string_list() }}) as guardian_sourced_ids
from students as s
left join homerooms as h on h.person_sourced_id = s.user_sourced_id
left join schools as hs on hs.school_sourced_id = h.school_sourced_id
left join first_school as fs on fs.user_sourced_id = s.user_sourced_id
left join {{ ref('stg_roster__demographics') }} as d on d.user_sourced_id = s.user_sourced_id
left join guardians as g on g.student_sourced_id = s.user_sourced_id
order by student_sourced_id
