-- Which rows of the public term marts (class_term, school_term, district_term) are
-- suppressed, computed once for the three so they hide the same cells (macro
-- suppress_small_cells). Lines, per academic session and subject: a school row is the
-- total of its homerooms' rows (each student has one homeroom; teaching classes overlap
-- and are only suppressed on their own size), a district row the total of its schools'.
-- class_weak_points follows its class's flag.
with results as (
    select scope_type, scope_id, class_type, school_sourced_id, academic_session, subject, students
    from {{ ref('int_exam_scope_term_results') }}
),

hierarchy as (
    select school_sourced_id, district_sourced_id from {{ ref('int_org_hierarchy') }}
),

cells as (
    select
        {{ exam_term_cell_id('r.scope_type', 'r.scope_id', 'r.class_type', 'r.academic_session', 'r.subject') }} as cell_id,
        case
            when r.scope_type = 'class' and r.class_type = 'homeroom'
                then r.academic_session || '|' || r.subject || '|school:' || r.school_sourced_id
            when r.scope_type = 'school'
                then r.academic_session || '|' || r.subject || '|district:' || h.district_sourced_id
        end as line_id,
        case when r.scope_type in ('school', 'district')
            then r.academic_session || '|' || r.subject || '|' || r.scope_type || ':' || r.scope_id
        end as total_of,
        r.students as size
    from results as r
    left join hierarchy as h on r.scope_type = 'school' and h.school_sourced_id = r.scope_id
),

{{ suppress_small_cells('cells') }}

select cell_id, suppressed from suppression
