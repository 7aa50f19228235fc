-- The exam signals of students_needing_attention, per class and member (homerooms and
-- teaching classes): of the class's latest exam of each subject (by date, then id), how
-- many the member was marked absent from (status `absent` on the sheet: an exempt student,
-- or one the sheet does not hold, is not absent; the metrics probe found exempt students
-- listed as absent by name), their mean z-score over those they sat, and the largest
-- fall of their z since their previous exam of a subject. Exams and the roster only, so
-- a new day of platform activity does not rebuild it (students_needing_attention, which
-- adds the activity and psych signals, is rebuilt every day).
with members as (
    select class_sourced_id, student_key from {{ ref('class_membership') }}
    union
    select homeroom_class_sourced_id, student_key from {{ ref('student_identity') }}
    where homeroom_class_sourced_id is not null
),

latest_class_exams as (
    select scope_id as class_sourced_id, subject, exam_id
    from {{ ref('int_exam_scope_results') }}
    where scope_type = 'class'
    qualify row_number() over (partition by scope_id, subject order by exam_date desc, exam_id desc) = 1
),

absences as (
    select i.student_key, s.exam_id
    from {{ ref('int_student_exam_scores') }} as s
    inner join {{ ref('student_identity') }} as i on i.student_sourced_id = s.student_sourced_id
    where s.status = 'absent'
),

student_z as (
    select
        student_key,
        exam_id,
        z_score,
        z_score - lag(z_score) over (partition by student_key, subject order by exam_date, exam_id) as z_change
    from {{ ref('student_exam') }}
)

select
    m.class_sourced_id,
    m.student_key,
    count(l.exam_id) as latest_exams,
    count(a.exam_id) as exams_absent,
    {{ exact_mean('z.z_score') }} as latest_mean_z,
    min(z.z_change) as min_z_change
from members as m
left join latest_class_exams as l on l.class_sourced_id = m.class_sourced_id
left join student_z as z on z.student_key = m.student_key and z.exam_id = l.exam_id
left join absences as a on a.student_key = m.student_key and a.exam_id = l.exam_id
group by m.class_sourced_id, m.student_key
