-- What each student belongs to, date-effective, as (key_type, key_value): their classes,
-- homeroom grade, school, district and city (from enrollments) and themselves (self,
-- child). A principal's scope keys (int_governance__principal_keys) meet these keys.
with enrollments as (
    select * from {{ ref('int_enrollments_effective') }}
    where role = 'student'
),

keys as (
    select person_sourced_id as student_id, 'class' as key_type, class_sourced_id as key_value, effective_from, effective_to
    from enrollments
    union all
    select person_sourced_id, 'grade', school_sourced_id || ':' || grade, effective_from, effective_to
    from enrollments where class_type = 'homeroom' and school_sourced_id is not null and grade is not null
    union all
    select person_sourced_id, 'school', school_sourced_id, effective_from, effective_to
    from enrollments where school_sourced_id is not null
    union all
    select person_sourced_id, 'district', district_sourced_id, effective_from, effective_to
    from enrollments where district_sourced_id is not null
    union all
    select person_sourced_id, 'city', city_sourced_id, effective_from, effective_to
    from enrollments where city_sourced_id is not null
    union all
    select student_sourced_id, 'self', student_sourced_id, date '0001-01-01', date '9999-12-31'
    from {{ ref('student_identity') }}
    union all
    select student_sourced_id, 'child', student_sourced_id, date '0001-01-01', date '9999-12-31'
    from {{ ref('student_identity') }}
)

select distinct student_id, key_type, key_value, effective_from, effective_to
from keys
