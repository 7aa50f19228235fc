{#- The homeroom (and so school and grade) each student was in on each of the given dates:
    one row per (student_sourced_id, <date_column>) of `dated` (a relation or subquery with
    those two columns). The enrollment active on the date wins, else the latest begun; a
    null date takes the latest homeroom. Used to place survey results in their class. -#}
{% macro homeroom_on_date(dated, date_column) %}
    select
        d.student_sourced_id,
        d.{{ date_column }},
        e.class_sourced_id,
        e.school_sourced_id,
        e.grade
    from (select distinct student_sourced_id, {{ date_column }} from {{ dated }}) as d
    inner join {{ ref('int_enrollments_effective') }} as e
        on e.person_sourced_id = d.student_sourced_id
       and e.role = 'student'
       and e.class_type = 'homeroom'
    qualify row_number() over (
        partition by d.student_sourced_id, d.{{ date_column }}
        order by (coalesce(d.{{ date_column }}, date '0001-01-01') between e.effective_from and e.effective_to) desc,
                 e.effective_from desc, e.class_sourced_id
    ) = 1
{% endmacro %}
