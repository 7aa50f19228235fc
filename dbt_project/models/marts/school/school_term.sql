-- Per school x academic session x subject: results, score distribution, weak knowledge
-- points and engagement of the school's present students (macro exam_term_summary).
select
    t.scope_id as school_sourced_id,
    o.org_name as school_name,
    t.academic_session,
    t.subject,
    t.grade,
    t.students,
    t.mean_score_rate,
    t.mean_z_score,
    t.band_lt60,
    t.band_60_70,
    t.band_70_80,
    t.band_80_90,
    t.band_ge90,
    t.weak_points,
    t.mean_active_days,
    t.online_share,
    t.suppressed
from {{ exam_term_summary('school') }} as t
left join {{ ref('stg_roster__orgs') }} as o on o.org_sourced_id = t.scope_id
