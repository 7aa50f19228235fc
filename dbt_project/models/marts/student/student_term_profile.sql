-- One row per student x academic session (term) for every student present in an exam of
-- the session or active on the platform within its dates: results (overall and per
-- subject) and engagement (within the session's start/end dates). A public mart holds no
-- health data: fitness grades are in the restricted student_fitness only (a failing
-- test, assert_public_marts_hold_no_protected_columns, keeps it so).
with overall as (
    select * from {{ ref('int_student_term_results') }}
),

students as (
    select student_sourced_id, academic_session from overall
    union
    select a.student_sourced_id, a.academic_session
    from {{ ref('int_exam_student_term_activity') }} as a
    inner join {{ ref('stg_roster__users') }} as u
        on u.user_sourced_id = a.student_sourced_id and u.role = 'student'
),

roster_school as (
    select r.student_sourced_id, min(r.org_sourced_id) as school_sourced_id
    from (
        select user_sourced_id as student_sourced_id, {{ fn('unnest') }}(org_sourced_ids) as org_sourced_id
        from {{ ref('stg_roster__users') }}
        where role = 'student'
    ) as r
    inner join {{ ref('stg_roster__orgs') }} as o
        on o.org_sourced_id = r.org_sourced_id and o.org_type = 'school'
    group by r.student_sourced_id
),

roster_grade as (
    select user_sourced_id as student_sourced_id, {{ fn('list_extract') }}(grades, 1) as grade
    from {{ ref('stg_roster__users') }}
    where role = 'student'
)

select
    {{ pseudonymize('st.student_sourced_id') }} as student_key,
    st.academic_session,
    coalesce(o.school_sourced_id, rs.school_sourced_id) as school_sourced_id,
    coalesce(o.grade, rg.grade) as grade,
    cast(coalesce(o.exams_taken, 0) as bigint) as exams_taken,
    cast(o.mean_z_score as double) as mean_z_score,
    coalesce(o.subject_results, {{ fn('list_value') }}()) as subject_results,
    cast(coalesce(a.active_days, 0) as bigint) as active_days,
    cast(coalesce(a.logins, 0) as bigint) as logins,
    cast(coalesce(a.resources_viewed, 0) as bigint) as resources_viewed,
    cast(coalesce(a.microtests_answered, 0) as bigint) as microtests_answered,
    cast(coalesce(a.homework_submitted, 0) as bigint) as homework_submitted,
    cast(coalesce(a.time_on_task_seconds, 0) / 60.0 as double) as time_on_task_minutes
from students as st
left join overall as o
    on o.student_sourced_id = st.student_sourced_id and o.academic_session = st.academic_session
left join {{ ref('int_exam_student_term_activity') }} as a
    on a.student_sourced_id = st.student_sourced_id and a.academic_session = st.academic_session
left join roster_school as rs on rs.student_sourced_id = st.student_sourced_id
left join roster_grade as rg on rg.student_sourced_id = st.student_sourced_id
