-- Psychological screening risk of a homeroom (班级心理筛查风险分布): each screened
-- student's latest screening, at the highest risk level of its scales (none < watch <
-- high), counted by level, with the homeroom on the screening date (student_psych).
-- Restricted: derived from minors' mental-health data; shown only where the role policy
-- grants student_psych for the page's purpose. A homeroom with 1 .. min_cell - 1 screened
-- students is suppressed whole.
with latest as (
    select
        student_key,
        homeroom_class_sourced_id,
        school_sourced_id,
        max(case risk_level when 'high' then 3 when 'watch' then 2 when 'none' then 1 end) as risk_rank
    from {{ ref('student_psych') }}
    where homeroom_class_sourced_id is not null and risk_level is not null
    group by student_key, homeroom_class_sourced_id, school_sourced_id, screen_date
    qualify row_number() over (partition by student_key order by screen_date desc) = 1
),

counts as (
    select
        homeroom_class_sourced_id,
        max(school_sourced_id) as school_sourced_id,
        case risk_rank when 3 then 'high' when 2 then 'watch' else 'none' end as risk_level,
        count(*) as students,
        sum(count(*)) over (partition by homeroom_class_sourced_id) as class_students
    from latest
    group by homeroom_class_sourced_id, risk_rank
)

select
    homeroom_class_sourced_id,
    school_sourced_id,
    risk_level,
    cast({{ unless_suppressed('students', is_small_cell('class_students')) }} as bigint) as students,
    cast({{ unless_suppressed('class_students', is_small_cell('class_students')) }} as bigint) as class_students,
    cast(coalesce({{ is_small_cell('class_students') }}, false) as boolean) as suppressed
from counts
