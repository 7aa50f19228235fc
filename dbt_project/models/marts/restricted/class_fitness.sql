-- Fitness grades of a homeroom per academic session (班级体质健康等级分布): each tested
-- student's latest test in the session, counted by fitness grade, with the homeroom on
-- the test date (student_fitness). Restricted: derived from minors' health data, read by
-- the head teacher's page under its grant. A homeroom with 1 .. min_cell - 1 tested
-- students is suppressed whole (every grade's count hidden), so no count of a small class
-- is published.
with latest as (
    select homeroom_class_sourced_id, school_sourced_id, academic_session, student_key, fitness_grade
    from {{ ref('student_fitness') }}
    where homeroom_class_sourced_id is not null and fitness_grade is not null
    qualify row_number() over (
        partition by student_key, academic_session order by test_date desc
    ) = 1
),

counts as (
    select
        homeroom_class_sourced_id,
        max(school_sourced_id) as school_sourced_id,
        academic_session,
        fitness_grade,
        count(*) as students,
        sum(count(*)) over (partition by homeroom_class_sourced_id, academic_session) as class_students
    from latest
    group by homeroom_class_sourced_id, academic_session, fitness_grade
)

select
    homeroom_class_sourced_id,
    school_sourced_id,
    academic_session,
    fitness_grade,
    cast({{ unless_suppressed('students', is_small_cell('class_students')) }} as bigint) as students,
    cast({{ unless_suppressed('class_students', is_small_cell('class_students')) }} as bigint) as class_students,
    cast({{ unless_suppressed('students / class_students', is_small_cell('class_students')) }} as double) as share,
    cast(coalesce({{ is_small_cell('class_students') }}, false) as boolean) as suppressed
from counts
