-- Who may see what, date-effective: every person's role and the scope it covers, from
-- teacher enrollments (teacher -> class; the primary teacher of a homeroom is also its
-- head_teacher), the x_staff_assignments extension (grade leader -> grade, principal ->
-- school, subject researcher -> subject, district/city admin -> district/city), guardian
-- links (parent -> child) and students' own homerooms (student -> self). Reports and the
-- access audit resolve scopes from it. begin_date / end_date NULL = open-ended.
-- An assignment ends at the latest with its person's last day in the roster.
-- A disabled account (OneRoster enabledUser false) holds no scope from the day it was
-- disabled: every scope of the person ends at the latest the day before
-- (stg_roster__users.disabled_since), so the API refuses it and the audit flags what
-- it reads afterwards; what it read before stays in scope.
-- scope_id: class, school, district, city and child scopes are sourcedIds; a grade scope
-- is '<school_sourced_id>:<grade>', a subject scope '<district_sourced_id>:<subject>'.
with enrollments as (
    select * from {{ ref('int_enrollments_effective') }}
),

schools as (
    select * from {{ ref('int_org_hierarchy') }}
),

orgs as (
    select * from {{ ref('int_orgs') }}
),

teaching as (
    select person_sourced_id, 'teacher' as role, 'class' as scope_type, class_sourced_id as scope_id,
        school_sourced_id, district_sourced_id, grade, subject, class_sourced_id, begin_date, end_date,
        'enrollment' as granted_by_source, enrollment_sourced_id as source_id
    from enrollments where role = 'teacher'
    union all
    select person_sourced_id, 'head_teacher', 'class', class_sourced_id,
        school_sourced_id, district_sourced_id, grade, subject, class_sourced_id, begin_date, end_date,
        'enrollment', enrollment_sourced_id
    from enrollments where is_head_teacher
    union all
    select person_sourced_id, 'student', 'self', person_sourced_id,
        school_sourced_id, district_sourced_id, grade, null, class_sourced_id, begin_date, end_date,
        'enrollment', enrollment_sourced_id
    from enrollments where role = 'student' and class_type = 'homeroom'
),

assignments as (
    select
        a.user_sourced_id as person_sourced_id,
        a.role,
        case a.role
            when 'grade_leader' then 'grade'
            when 'principal' then 'school'
            when 'subject_researcher' then 'subject'
            when 'district_admin' then 'district'
            when 'city_admin' then 'city'
        end as scope_type,
        case a.role
            when 'grade_leader' then a.org_sourced_id || ':' || a.grade
            when 'subject_researcher' then a.org_sourced_id || ':' || a.subject
            else a.org_sourced_id
        end as scope_id,
        case when o.org_type = 'school' then a.org_sourced_id end as school_sourced_id,
        case when o.org_type = 'school' then s.district_sourced_id
             when o.org_type = 'district' then a.org_sourced_id end as district_sourced_id,
        a.grade,
        a.subject,
        null as class_sourced_id,
        a.begin_date,
        -- a person who left the roster (deleted, or left out of a newer bulk) holds no
        -- assignment after their last day (the roster probe: a deleted principal kept the
        -- school, and the audit flagged nothing they read afterwards)
        case when u.roster_end_date is null then a.end_date
             else least(coalesce(a.end_date, u.roster_end_date), u.roster_end_date) end as end_date,
        'staff_assignment' as granted_by_source,
        a.staff_assignment_sourced_id as source_id
    from {{ ref('stg_roster__staff_assignments') }} as a
    left join {{ ref('stg_roster__users') }} as u on u.user_sourced_id = a.user_sourced_id
    left join orgs as o on o.org_sourced_id = a.org_sourced_id
    left join schools as s on s.school_sourced_id = a.org_sourced_id
    where a.role in ('grade_leader', 'principal', 'subject_researcher', 'district_admin', 'city_admin')
),

disabled as (
    select user_sourced_id, disabled_since from {{ ref('stg_roster__users') }} where disabled_since is not null
),

guardianship as (
    select
        {{ fn('unnest') }}(i.guardian_sourced_ids) as person_sourced_id,
        'parent' as role,
        'child' as scope_type,
        i.student_sourced_id as scope_id,
        i.school_sourced_id,
        i.district_sourced_id,
        i.grade,
        null as subject,
        i.homeroom_class_sourced_id as class_sourced_id,
        cast(null as date) as begin_date,
        cast(null as date) as end_date,
        'guardian_link' as granted_by_source,
        i.student_sourced_id as source_id
    from {{ ref('student_identity') }} as i
)

select
    cast(person_sourced_id as string) as person_sourced_id,
    cast(role as string) as role,
    cast(scope_type as string) as scope_type,
    cast(scope_id as string) as scope_id,
    cast(school_sourced_id as string) as school_sourced_id,
    cast(district_sourced_id as string) as district_sourced_id,
    cast(grade as string) as grade,
    cast(subject as string) as subject,
    cast(class_sourced_id as string) as class_sourced_id,
    cast(begin_date as date) as begin_date,
    cast(case when d.disabled_since is null then end_date
              else least(coalesce(end_date, d.disabled_since - 1), d.disabled_since - 1) end as date) as end_date,
    cast(granted_by_source as string) as granted_by_source,
    cast(source_id as string) as source_id
from (
    select * from teaching
    union all
    select * from assignments
    union all
    select * from guardianship
) as scopes
left join disabled as d on d.user_sourced_id = scopes.person_sourced_id
order by person_sourced_id, role, scope_type, scope_id
