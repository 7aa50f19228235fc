-- Which students sit in which class (homeroom and teaching classes) on the reference
-- date (var reference_date, default today; else the latest enrollment begun), so staff
-- reports build class rosters from a mart and never from the landed roster.
{%- set ref_date = "cast('" ~ var('reference_date') ~ "' as date)" if var('reference_date') else today_local() %}

select
    e.class_sourced_id,
    {{ pseudonymize('e.person_sourced_id') }} as student_key,
    e.class_type,
    e.class_title,
    e.subject,
    e.school_sourced_id,
    e.grade,
    e.effective_from,
    e.effective_to
from {{ ref('int_enrollments_effective') }} as e
where e.role = 'student'
qualify row_number() over (
    partition by e.class_sourced_id, e.person_sourced_id
    order by ({{ ref_date }} between e.effective_from and e.effective_to) desc, e.effective_from desc
) = 1
{{ stored_in_student_key_order() }}
