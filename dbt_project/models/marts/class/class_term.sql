-- Per class x academic session x subject. Classes are both kinds (class_type): a
-- scheduled teaching class (教学班) counts for its own subject, a homeroom (行政班) for
-- every subject its students sat. See macro exam_term_summary for the measures.
select
    t.scope_id as class_sourced_id,
    t.class_type,
    c.class_title,
    t.school_sourced_id,
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
from {{ exam_term_summary('class') }} as t
left join {{ ref('stg_roster__classes') }} as c on c.class_sourced_id = t.scope_id
