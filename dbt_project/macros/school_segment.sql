{#- School segment of a two-digit grade code: 01-06 primary, 07-09 junior, 10-12 senior. -#}
{% macro school_segment(grade_col) -%}
case
    when try_cast({{ grade_col }} as integer) between 1 and 6 then 'primary'
    when try_cast({{ grade_col }} as integer) between 7 and 9 then 'junior'
    when try_cast({{ grade_col }} as integer) between 10 and 12 then 'senior'
end
{%- endmacro %}

{#- Normalise a grade code to two digits ('7' -> '07'); NULL stays NULL. -#}
{% macro grade_code(grade_col) -%}
case when try_cast({{ grade_col }} as integer) is not null
     then lpad(cast(try_cast({{ grade_col }} as integer) as string), 2, '0')
     else nullif(trim({{ grade_col }}), '') end
{%- endmacro %}
