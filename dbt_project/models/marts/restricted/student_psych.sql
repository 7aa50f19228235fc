{{ config(post_hook=["{{ export_parquet(restricted=true) }}"]) }}
-- Psychological screening results (心理) per student, screening date, instrument and
-- scale, with the student's homeroom and school on the screening date. Restricted:
-- minors' mental-health data, exported only to <lake>/restricted/student_psych.parquet;
-- no public mart carries any of it.
with homerooms as (
    select
        p.student_sourced_id,
        p.screen_date,
        e.class_sourced_id,
        e.school_sourced_id,
        e.grade
    from (select distinct student_sourced_id, screen_date from {{ ref('stg_psych__psych_screenings') }}) as p
    inner join {{ ref('int_enrollments_effective') }} as e
        on e.person_sourced_id = p.student_sourced_id
       and e.role = 'student'
       and e.class_type = 'homeroom'
    qualify row_number() over (
        partition by p.student_sourced_id, p.screen_date
        order by (coalesce(p.screen_date, date '0001-01-01') between e.effective_from and e.effective_to) desc,
                 e.effective_from desc, e.class_sourced_id
    ) = 1
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
