-- Date-effective enrollments: who was in which class (and so school, grade, segment) from
-- which day to which day. Open dates become effective_from 0001-01-01 / effective_to
-- 9999-12-31 so "enrolled on day d" is `d between effective_from and effective_to`
-- (OneRoster endDate is inclusive). Head teacher = the primary teacher of a homeroom.
-- A membership ends with its person and its class: end_date is the earliest of its own
-- end and their last days in the roster (roster_end_date: deleted, or left out of a newer
-- bulk); a person or class that ended keeps its past. Enrollments of people or classes
-- the roster never held are dropped.
{%- set last_day -%}
least(coalesce(e.end_date, date '9999-12-31'), coalesce(u.roster_end_date, date '9999-12-31'),
      coalesce(c.roster_end_date, date '9999-12-31'))
{%- endset %}
select
    e.enrollment_sourced_id,
    e.user_sourced_id as person_sourced_id,
    e.role,
    e.is_primary,
    (e.role = 'teacher' and e.is_primary and c.class_type = 'homeroom') as is_head_teacher,
    e.class_sourced_id,
    c.class_title,
    c.class_type,
    c.grade,
    c.segment,
    c.subject,
    coalesce(c.school_sourced_id, e.school_sourced_id) as school_sourced_id,
    c.district_sourced_id,
    c.city_sourced_id,
    e.begin_date,
    nullif({{ last_day }}, date '9999-12-31') as end_date,
    coalesce(e.begin_date, date '0001-01-01') as effective_from,
    {{ last_day }} as effective_to
from {{ ref('stg_roster__enrollments') }} as e
inner join {{ ref('int_classes') }} as c on c.class_sourced_id = e.class_sourced_id
inner join {{ ref('stg_roster__users') }} as u on u.user_sourced_id = e.user_sourced_id
where e.role in ('student', 'teacher')
