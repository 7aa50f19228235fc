{{ partitioned_by_exam() }}
{%- set exams = partition_exams() %}
-- The school (and homeroom) of each examined student on the exam date: the homeroom's
-- school, else the school of any class they sat the exam in, else the first school org
-- on their roster record. One row per exam x student.
with by_class as (
    select
        exam_id,
        student_sourced_id,
        max(school_sourced_id) filter (where class_type = 'homeroom') as homeroom_school,
        max(class_sourced_id) filter (where class_type = 'homeroom') as homeroom_class_sourced_id,
        max(school_sourced_id) as any_school
    from {{ ref('int_exam_student_classes') }}
    where {{ partition_scope('exam_id', exams) }}
    group by exam_id, student_sourced_id
),

roster_orgs as (
    select user_sourced_id as student_sourced_id, {{ fn('unnest') }}(org_sourced_ids) as org_sourced_id
    from {{ ref('stg_roster__users') }}
    where role = 'student'
),

roster_school as (
    select r.student_sourced_id, min(r.org_sourced_id) as school_sourced_id
    from roster_orgs as r
    inner join {{ ref('stg_roster__orgs') }} as o
        on o.org_sourced_id = r.org_sourced_id and o.org_type = 'school'
    group by r.student_sourced_id
)

select
    s.exam_id,
    s.student_sourced_id,
    coalesce(c.homeroom_school, c.any_school, r.school_sourced_id) as school_sourced_id,
    c.homeroom_class_sourced_id
from {{ ref('int_student_exam_scores') }} as s
left join by_class as c on c.exam_id = s.exam_id and c.student_sourced_id = s.student_sourced_id
left join roster_school as r on r.student_sourced_id = s.student_sourced_id
where {{ partition_scope('s.exam_id', exams) }}
