-- Each student's total in each sitting (一次统考: one grade's exams taken together,
-- stg_exams__exams.sitting_id) and their district rank by it, the unit the seed counts its
-- top students over ("高三4次成绩": four sittings). A sitting's total is its 总分 exam when
-- one was delivered, else the sum of the student's scores over the sitting's exams, for a
-- student present in every one of them (a student who missed a subject has no total and
-- is not ranked in that sitting). Rank: standard competition rank by total, descending,
-- within the sitting's organising org (docs/domain.md, Exam statistics).
with exams as (
    select exam_id, sitting_id, org_sourced_id, grade, academic_session, exam_date,
        subject = '总分' as is_total
    from {{ ref('stg_exams__exams') }}
    where grade is not null and academic_session is not null and org_sourced_id is not null
),

sittings as (
    select
        sitting_id,
        any_value(org_sourced_id) as org_sourced_id,
        any_value(grade) as grade,
        any_value(academic_session) as academic_session,
        min(exam_date) as exam_date,
        count(*) filter (where not is_total) as subject_exams,
        bool_or(is_total) as has_total
    from exams
    group by sitting_id
),

results as (
    select e.sitting_id, e.exam_id, e.is_total, e.exam_date, r.student_sourced_id, r.score, sc.school_sourced_id
    from exams as e
    inner join {{ ref('int_exam_student_results') }} as r on r.exam_id = e.exam_id
    left join {{ ref('int_exam_student_schools') }} as sc
        on sc.exam_id = r.exam_id and sc.student_sourced_id = r.student_sourced_id
),

totals as (
    select r.sitting_id, r.student_sourced_id, {{ exact_sum('r.score') }} as total_score,
        max_by(r.school_sourced_id, r.exam_date) as school_sourced_id
    from results as r
    inner join sittings as s on s.sitting_id = r.sitting_id
    where r.is_total = s.has_total
    group by r.sitting_id, r.student_sourced_id
    having bool_or(s.has_total) or count(distinct r.exam_id) = any_value(s.subject_exams)
)

select
    s.sitting_id,
    s.org_sourced_id,
    s.grade,
    s.academic_session,
    s.exam_date,
    t.student_sourced_id,
    t.school_sourced_id,
    t.total_score,
    rank() over (partition by t.sitting_id order by t.total_score desc) as district_rank
from totals as t
inner join sittings as s on s.sitting_id = t.sitting_id
