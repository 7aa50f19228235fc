{{ config(materialized='view') }}
-- Students' daily activity (the engagement inputs of the term profiles): the student
-- rows of int_activity_daily; active = any statement of the platform's profile that day
-- (not a voiding statement, not another verb).
select
    a.person_sourced_id as student_sourced_id,
    a.local_date,
    a.month,
    a.statements > 0 as is_active,
    a.logins,
    a.resources_viewed,
    a.items_answered,
    a.microtests_answered,
    a.microtests_completed,
    a.homework_submitted,
    a.time_on_task_seconds
from {{ ref('int_activity_daily') }} as a
inner join {{ ref('stg_roster__users') }} as u
    on u.user_sourced_id = a.person_sourced_id and u.role = 'student'
