-- Psychological screening results, one row per student, screening date, instrument and
-- scale (the latest delivery supersedes). Sensitive: minors' mental-health data.
select
    student_sourcedId as student_sourced_id,
    screen_date,
    instrument,
    scale,
    score,
    lower(nullif(trim(risk_level), '')) as risk_level,
    _delivery,
    _landed_at
from {{ latest_by_key(bronze_relation('psych', 'psych_screenings'), 'student_sourcedId, screen_date, instrument, scale', modified_col='_landed_at') }}
where student_sourcedId is not null
