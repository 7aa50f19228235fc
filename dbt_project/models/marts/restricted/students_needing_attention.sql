-- Students needing attention (需要关注的学生): every member of every class (homerooms and
-- teaching classes) with the signals a teacher acts on, and whether any of them fires.
-- Thresholds are the var `attention` (dbt_project.yml); docs/domain.md explains each.
--   * exams: for each subject, the latest exam the class sat (by date, then id). The
--     student may have missed some of them (exams_absent); their mean z-score over the
--     ones sat is low (<= low_z), or their z fell since their previous exam of a subject
--     (a change <= -z_fall);
--   * activity: days since the student's last day with any platform statement, up to
--     the newest day in the lake, >= inactive_days. Only a student who was active and
--     stopped is flagged: one who never used the platform has days_without_activity = the
--     whole window but is not `inactive` (adoption is the usage tables' matter, and
--     flagging every non-user would bury the list where few students use the platform);
--   * psych (pastoral roles only): the student's latest screening at a level in
--     psych_risk_levels. This column is sensitive_psych: a grant without `sensitive`
--     gets it masked, and it does not feed needs_attention, so the rows a teacher sees
--     say nothing about it. Every member has a row, for the same reason.
-- The exam signals come from int_exam_class_member_signals (rebuilt when exams land).
-- Restricted: it names students' pseudonymous keys with their class.
{%- set a = var('attention') %}

with exams as (
    select * from {{ ref('int_exam_class_member_signals') }}
),

window_days as (
    select min(local_date) as first_day, max(local_date) as last_day
    from {{ ref('int_student_activity_daily') }}
),

last_active as (
    select {{ pseudonymize('student_sourced_id') }} as student_key, last_active_date
    from (
        select student_sourced_id, max(local_date) as last_active_date
        from {{ ref('int_student_activity_daily') }}
        where is_active
        group by student_sourced_id
    )
),

psych as (
    select
        student_key,
        max(case when risk_level in ({{ "'" ~ a.psych_risk_levels | join("', '") ~ "'" }}) then 1 else 0 end) = 1
            as at_risk
    from {{ ref('student_psych') }}
    where screen_date <= {{ reference_day() }}  -- one dated later has not happened yet
    group by student_key, screen_date
    qualify row_number() over (partition by student_key order by screen_date desc) = 1
),

signals as (
    select
        e.*,
        la.last_active_date,
        cast({{ days_between('coalesce(la.last_active_date, w.first_day - 1)', 'w.last_day') }} as bigint)
            as days_without_activity,
        coalesce(p.at_risk, false) as psych_risk_high
    from exams as e
    cross join window_days as w
    left join last_active as la on la.student_key = e.student_key
    left join psych as p on p.student_key = e.student_key
)

select
    s.class_sourced_id,
    c.class_type,
    c.school_sourced_id,
    s.student_key,
    cast(s.latest_exams as bigint) as latest_exams,
    cast(s.exams_absent as bigint) as exams_absent,
    cast(s.latest_mean_z as double) as latest_mean_z,
    cast(s.min_z_change as double) as min_z_change,
    s.last_active_date,
    s.days_without_activity,
    s.exams_absent > 0 as absent_from_latest,
    coalesce(s.latest_mean_z <= {{ a.low_z }}, false) as low_z,
    coalesce(s.min_z_change <= -{{ a.z_fall }}, false) as z_fall,
    coalesce(s.last_active_date is not null and s.days_without_activity >= {{ a.inactive_days }}, false) as inactive,
    (s.exams_absent > 0 or coalesce(s.latest_mean_z <= {{ a.low_z }}, false)
        or coalesce(s.min_z_change <= -{{ a.z_fall }}, false)
        or coalesce(s.last_active_date is not null and s.days_without_activity >= {{ a.inactive_days }}, false))
        as needs_attention,
    s.psych_risk_high
from signals as s
left join {{ ref('int_classes') }} as c on c.class_sourced_id = s.class_sourced_id
{{ stored_in_student_key_order() }}
