-- Psychological screening risk of a homeroom (班级心理筛查风险分布): the homeroom rows of
-- scope_psych, shaped for the head teacher's page, so a homeroom is hidden exactly where
-- the grade, school and district figures need it to be.
select
    scope_id as homeroom_class_sourced_id,
    school_sourced_id,
    risk_level,
    students,
    scope_students as class_students,
    suppressed
from {{ ref('scope_psych') }}
where scope_type = 'class'
