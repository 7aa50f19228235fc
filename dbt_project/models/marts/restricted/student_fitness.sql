-- Physical-fitness test results per student and test date (体质健康), with the student's
-- homeroom and school on the test date so scoped readers (head teacher, parent through
-- student_identity) can be filtered. Restricted: minors' health data, exported only to
-- <lake>/restricted/student_fitness.parquet; public marts carry at most the latest grade.
with homerooms as (
    {{ homeroom_on_date(ref('stg_fitness__fitness_results'), 'test_date') }}
)

select
    {{ pseudonymize('f.student_sourced_id') }} as student_key,
    f.test_date,
    s.academic_session,
    h.school_sourced_id,
    h.class_sourced_id as homeroom_class_sourced_id,
    h.grade,
    f.height_cm,
    f.weight_kg,
    f.vital_capacity_ml,
    f.run50m_s,
    f.sit_reach_cm,
    f.standing_jump_cm,
    f.total_score,
    f.fitness_grade
from {{ ref('stg_fitness__fitness_results') }} as f
left join homerooms as h on h.student_sourced_id = f.student_sourced_id and h.test_date is not distinct from f.test_date
left join {{ ref('int_exam_sessions') }} as s on f.test_date between s.start_date and s.end_date
