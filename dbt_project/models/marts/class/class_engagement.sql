-- Per class x academic session (班级平台使用): the platform use of the class's students in
-- the session, from student_term_profile. The class's students are its members in
-- class_membership (homeroom and teaching classes, on the reference date); a member
-- with no profile row in a session used nothing and counts as 0. students_answering:
-- members who answered at least one micro-test item; answer_share = students_answering /
-- students. A class of 1 .. min_cell - 1 students is suppressed whole. The teacher's and
-- head teacher's pages read it; they compute no class figure of their own.
with members as (
    select class_sourced_id, class_type, class_title, school_sourced_id, grade, student_key
    from {{ ref('class_membership') }}
),

sessions as (
    select distinct m.class_sourced_id, p.academic_session
    from members as m
    inner join {{ ref('student_term_profile') }} as p on p.student_key = m.student_key
),

per_student as (
    select
        m.class_sourced_id,
        s.academic_session,
        m.student_key,
        coalesce(p.active_days, 0) as active_days,
        coalesce(p.logins, 0) as logins,
        coalesce(p.resources_viewed, 0) as resources_viewed,
        coalesce(p.microtests_answered, 0) as microtests_answered,
        coalesce(p.homework_submitted, 0) as homework_submitted
    from members as m
    inner join sessions as s on s.class_sourced_id = m.class_sourced_id
    left join {{ ref('student_term_profile') }} as p
        on p.student_key = m.student_key and p.academic_session = s.academic_session
),

per_class as (
    select
        class_sourced_id,
        academic_session,
        count(*) as students,
        count(*) filter (where microtests_answered > 0) as students_answering,
        sum(microtests_answered) as microtests_answered,
        avg(active_days) as mean_active_days,
        avg(logins) as mean_logins,
        avg(resources_viewed) as mean_resources_viewed,
        avg(microtests_answered) as mean_microtests_answered,
        avg(homework_submitted) as mean_homework_submitted,
        coalesce({{ is_small_cell('count(*)') }}, false) as suppressed
    from per_student
    group by class_sourced_id, academic_session
),

classes as (
    select distinct class_sourced_id, class_type, class_title, school_sourced_id, grade from members
)

select
    c.class_sourced_id,
    c.class_type,
    c.class_title,
    c.school_sourced_id,
    c.grade,
    p.academic_session,
    cast({{ unless_suppressed('p.students', 'p.suppressed') }} as bigint) as students,
    cast({{ unless_suppressed('p.students_answering', 'p.suppressed') }} as bigint) as students_answering,
    cast({{ unless_suppressed('p.students_answering / p.students', 'p.suppressed') }} as double) as answer_share,
    cast({{ unless_suppressed('p.microtests_answered', 'p.suppressed') }} as bigint) as microtests_answered,
    {%- for measure in ['active_days', 'logins', 'resources_viewed', 'microtests_answered', 'homework_submitted'] %}
    cast({{ unless_suppressed('p.mean_' ~ measure, 'p.suppressed') }} as double) as mean_{{ measure }},
    {%- endfor %}
    cast(p.suppressed as boolean) as suppressed
from per_class as p
inner join classes as c on c.class_sourced_id = p.class_sourced_id
