-- Each person's roster scope as (role, key_type, key_value), date-effective, from the
-- staff_scope mart: a teacher's classes, a head teacher's homeroom, a grade leader's
-- '<school>:<grade>', a principal's school, a researcher's district (subject scopes span
-- the district's students), an admin's district or city, a parent's child, a student's self.
select distinct
    person_sourced_id as principal_id,
    role,
    scope_type,
    scope_id,
    case scope_type
        when 'class' then 'class'
        when 'grade' then 'grade'
        when 'school' then 'school'
        when 'subject' then 'district'
        when 'district' then 'district'
        when 'city' then 'city'
        when 'self' then 'self'
        when 'child' then 'child'
    end as key_type,
    case scope_type
        when 'class' then coalesce(class_sourced_id, scope_id)
        when 'subject' then coalesce(district_sourced_id, split_part(scope_id, ':', 1))
        else scope_id
    end as key_value,
    school_sourced_id,
    district_sourced_id,
    grade,
    coalesce(begin_date, date '0001-01-01') as effective_from,
    coalesce(end_date, date '9999-12-31') as effective_to
from {{ ref('staff_scope') }}
