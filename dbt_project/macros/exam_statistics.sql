{#- N of "within the top N of the district" (dbt var top_n, from EDUHOUSE_TOP_N). -#}
{% macro exam_top_n() -%}
{{ var('top_n', 200) | int }}
{%- endmacro %}

{#- Score-distribution counts of a per-student score rate, in the bands the class,
    school and district term marts publish. -#}
{% macro exam_score_bands(rate_col) -%}
    cast(count(*) filter (where {{ rate_col }} < 0.6) as bigint) as band_lt60,
    cast(count(*) filter (where {{ rate_col }} >= 0.6 and {{ rate_col }} < 0.7) as bigint) as band_60_70,
    cast(count(*) filter (where {{ rate_col }} >= 0.7 and {{ rate_col }} < 0.8) as bigint) as band_70_80,
    cast(count(*) filter (where {{ rate_col }} >= 0.8 and {{ rate_col }} < 0.9) as bigint) as band_80_90,
    cast(count(*) filter (where {{ rate_col }} >= 0.9) as bigint) as band_ge90
{%- endmacro %}
