-- Fitness grades per scope and academic session (体质健康等级分布): each tested student's
-- latest test in the session (by the reference day: one dated later has not happened),
-- with the homeroom on the test date (student_fitness),
-- counted by fitness grade for the homeroom, its grade, school and district. Restricted:
-- derived from minors' health data, read under a sensitive grant by the head teacher
-- (homeroom, via class_fitness), the grade leader, the principal and the district admin.
-- Suppressed across the levels (macro scope_distribution): a hidden homeroom is never the
-- difference between its grade and the homerooms shown.
with latest as (
    select student_key, academic_session, school_sourced_id, homeroom_class_sourced_id, grade, fitness_grade
    from {{ ref('student_fitness') }}
    where test_date <= {{ reference_day() }}
    qualify row_number() over (partition by student_key, academic_session order by test_date desc) = 1
),

{{ scope_distribution('latest', 'fitness_grade', dims=['academic_session']) }}
