{{ partitioned_by_exam() }}
{%- set exams = partition_exams() %}
-- Every aggregate scope a present exam result belongs to, one row per
-- exam x student x scope: the classes sat in (homeroom 行政班 for every subject, the
-- scheduled teaching class 教学班 of the exam's subject; class_type says which), the
-- school, and the district (the school's parent org, else the exam's organising org).
-- The class, school and district term marts all aggregate through this one mapping.
-- Partitioned by exam: a run maps the exams it asks for.
with results as (
    select r.exam_id, r.student_sourced_id, r.org_sourced_id, sc.school_sourced_id
    from {{ ref('int_exam_student_results') }} as r
    left join {{ ref('int_exam_student_schools') }} as sc
        on sc.exam_id = r.exam_id and sc.student_sourced_id = r.student_sourced_id
    where {{ partition_scope('r.exam_id', exams) }}
),

school_district as (
    select school_sourced_id, district_sourced_id
    from {{ ref('int_org_hierarchy') }}
)

select
    c.exam_id,
    c.student_sourced_id,
    'class' as scope_type,
    c.class_sourced_id as scope_id,
    c.class_type,
    c.school_sourced_id
from {{ ref('int_exam_student_classes') }} as c
inner join results as r on r.exam_id = c.exam_id and r.student_sourced_id = c.student_sourced_id
where {{ partition_scope('c.exam_id', exams) }}

union all

select exam_id, student_sourced_id, 'school', school_sourced_id, null, school_sourced_id
from results
where school_sourced_id is not null

union all

select
    r.exam_id,
    r.student_sourced_id,
    'district',
    coalesce(d.district_sourced_id, r.org_sourced_id),
    null,
    r.school_sourced_id
from results as r
left join school_district as d on d.school_sourced_id = r.school_sourced_id
where coalesce(d.district_sourced_id, r.org_sourced_id) is not null
