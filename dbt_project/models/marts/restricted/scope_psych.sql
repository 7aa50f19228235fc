-- Psychological screening risk per scope (心理筛查风险分布): each screened student's latest
-- screening at the highest risk level of its scales (none < watch < high), with the
-- reference day as "now" (a screening dated later has not happened: a wrong date in the
-- future named a student high risk, the surveys probe), with the
-- homeroom on the screening date (student_psych), counted by level for the homeroom, its
-- grade, school and district. Restricted: derived from minors' mental-health data, read
-- under a sensitive grant where the role policy allows student-level or aggregate psych
-- data for the page's purpose. Suppressed across the levels (macro scope_distribution).
with screenings as (
    select
        student_key, screen_date, school_sourced_id, homeroom_class_sourced_id, grade,
        max(case risk_level when 'high' then 3 when 'watch' then 2 when 'none' then 1 end) as risk_rank
    from {{ ref('student_psych') }}
    where risk_level is not null and screen_date <= {{ reference_day() }}
    group by student_key, screen_date, school_sourced_id, homeroom_class_sourced_id, grade
    qualify row_number() over (partition by student_key order by screen_date desc) = 1
),

latest as (
    select *, case risk_rank when 3 then 'high' when 2 then 'watch' else 'none' end as risk_level
    from screenings
),

{{ scope_distribution('latest', 'risk_level') }}
