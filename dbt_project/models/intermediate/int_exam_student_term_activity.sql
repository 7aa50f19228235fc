-- Engagement of each student in each exam session (term): platform activity counted from
-- part A's daily activity model within the session's start and end dates (local days).
-- One row per student x session with any activity; sessions without roster dates get none.
select
    a.student_sourced_id,
    s.academic_session,
    count(distinct a.local_date) filter (where a.is_active) as active_days,
    sum(a.logins) as logins,
    sum(a.resources_viewed) as resources_viewed,
    sum(a.microtests_answered) as microtests_answered,
    sum(a.homework_submitted) as homework_submitted,
    sum(a.time_on_task_seconds) as time_on_task_seconds
from {{ ref('int_student_activity_daily') }} as a
inner join {{ ref('int_exam_sessions') }} as s
    on a.local_date between s.start_date and s.end_date
group by a.student_sourced_id, s.academic_session
