{{ partitioned_by_month() }}
{%- set months = partition_months() %}
-- Who was on the roster in each reporting month: a person with an enrollment overlapping
-- the month, by population (student/teacher), segment of the class grade and school.
-- One row per month x person x population x segment x school, however many classes.
select distinct
    m.month,
    e.person_sourced_id,
    e.role as population,
    e.segment,
    e.school_sourced_id,
    e.district_sourced_id,
    e.city_sourced_id
from {{ ref('int_enrollments_effective') }} as e
inner join {{ ref('int_months') }} as m
    on e.effective_from <= m.month_end and e.effective_to >= m.month_start
where e.segment is not null and {{ partition_scope('m.month', months) }}
