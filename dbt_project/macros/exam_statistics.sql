{#- N of "within the top N of the district" (dbt var top_n, from EDUHOUSE_TOP_N). -#}
{% macro exam_top_n() -%}
{{ var('top_n', 200) | int }}
{%- endmacro %}

{#- Score-distribution counts of a per-student score rate, in the bands the class,
    school and district term marts publish. The rate is banded rounded to 9 places: a
    term rate is a mean of exam rates, and a mean that is 0.8 exactly can come out one bit
    below it in another summation order (another engine, or another parallel plan), which
    would move that student across a band boundary. -#}
{% macro exam_score_bands(rate_col) -%}
    {%- set rate = 'round(' ~ rate_col ~ ', 9)' -%}
    cast(count(*) filter (where {{ rate }} < 0.6) as bigint) as band_lt60,
    cast(count(*) filter (where {{ rate }} >= 0.6 and {{ rate }} < 0.7) as bigint) as band_60_70,
    cast(count(*) filter (where {{ rate }} >= 0.7 and {{ rate }} < 0.8) as bigint) as band_70_80,
    cast(count(*) filter (where {{ rate }} >= 0.8 and {{ rate }} < 0.9) as bigint) as band_80_90,
    cast(count(*) filter (where {{ rate }} >= 0.9) as bigint) as band_ge90
{%- endmacro %}
