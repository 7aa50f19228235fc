{{ partitioned_by_exam() }}
{%- set exams = partition_exams() %}
-- The classes each examined student sat the exam in: their homeroom (行政班, across all
-- subjects) and any scheduled teaching class (教学班) of the exam's subject, as enrolled
-- on the exam date (part A's date-effective enrollments). One row per
-- exam x student x class; class_type says which kind.
with exam_students as (
    select exam_id, student_sourced_id, subject, coalesce(exam_date, date '0001-01-01') as exam_date
    from {{ ref('int_student_exam_scores') }}
    where {{ partition_scope('exam_id', exams) }}
)

select distinct
    x.exam_id,
    x.student_sourced_id,
    en.class_sourced_id,
    en.class_type,
    en.school_sourced_id
from exam_students as x
inner join {{ ref('int_enrollments_effective') }} as en
    on en.person_sourced_id = x.student_sourced_id
   and en.role = 'student'
   and x.exam_date between en.effective_from and en.effective_to
   and (
        en.class_type = 'homeroom'
        or (en.class_type = 'scheduled' and lower(trim(en.subject)) = x.subject)
   )
