-- Psychological screening results (心理) per student, screening date, instrument and
-- scale, with the student's homeroom and school on the screening date. Restricted:
-- minors' mental-health data, exported only to <lake>/restricted/student_psych.parquet;
-- no public mart carries any of it.
with homerooms as (
    {{ homeroom_on_date(ref('stg_psych__psych_screenings'), 'screen_date') }}
)

select
    {{ pseudonymize('p.student_sourced_id') }} as student_key,
    p.screen_date,
    p.instrument,
    p.scale,
    h.school_sourced_id,
    h.class_sourced_id as homeroom_class_sourced_id,
    h.grade,
    p.score,
    p.risk_level
from {{ ref('stg_psych__psych_screenings') }} as p
left join homerooms as h
    on h.student_sourced_id = p.student_sourced_id and h.screen_date is not distinct from p.screen_date
