-- Per scope x academic session x subject: engagement of the scope's examined students
-- within the session's dates (mean active days; online share: the share with at least one
-- login, "online" as the monthly usage marts count it, so a grade's homerooms add up to the
-- school's students online: a day of views without a login is active, not online). The
-- part of the term marts a new day of platform activity changes.
select
    s.scope_type,
    s.scope_id,
    s.class_type,
    s.academic_session,
    s.subject,
    cast(avg(coalesce(a.active_days, 0)) as double) as mean_active_days,
    cast(avg(case when coalesce(a.logins, 0) > 0 then cast(1 as double) else cast(0 as double) end) as double) as online_share
from {{ ref('int_exam_scope_student_terms') }} as s
left join {{ ref('int_exam_student_term_activity') }} as a
    on a.student_sourced_id = s.student_sourced_id and a.academic_session = s.academic_session
group by s.scope_type, s.scope_id, s.class_type, s.academic_session, s.subject
