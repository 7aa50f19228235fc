-- Fitness grades of a homeroom per academic session (班级体质健康等级分布): the homeroom
-- rows of scope_fitness, shaped for the head teacher's page, so a homeroom is hidden
-- exactly where the grade, school and district figures need it to be.
select
    scope_id as homeroom_class_sourced_id,
    school_sourced_id,
    academic_session,
    fitness_grade,
    students,
    scope_students as class_students,
    share,
    suppressed
from {{ ref('scope_fitness') }}
where scope_type = 'class'
