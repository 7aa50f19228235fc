-- Classes with their grade, segment, subject and place in the org hierarchy. A class
-- listing several grades takes the lowest; its segment follows that grade. Ended classes
-- included (roster_end_date: their last day).
select
    c.class_sourced_id,
    c.class_title,
    c.class_type,
    c.grade,
    {{ school_segment('c.grade') }} as segment,
    coalesce({{ fn('list_extract') }}(c.subjects, 1), {{ fn('list_extract') }}(co.subjects, 1)) as subject,
    c.course_sourced_id,
    c.term_sourced_ids,
    c.school_sourced_id,
    h.school_name,
    h.district_sourced_id,
    h.city_sourced_id,
    c.roster_end_date
from (
    select *, {{ fn('list_extract') }}(array_sort(filter(grades, {{ lambda('g') }} g is not null)), 1) as grade
    from {{ ref('stg_roster__classes') }}
) as c
left join {{ ref('stg_roster__courses') }} as co on co.course_sourced_id = c.course_sourced_id
left join {{ ref('int_org_hierarchy') }} as h on h.school_sourced_id = c.school_sourced_id
