{#- A mean that does not depend on the order its rows are added in.

    A sum of doubles does: DuckDB aggregates a group on both of its threads and adds their
    partial sums in the order they finish, so two builds of the same inbox gave means,
    z-scores and standard deviations differing in their last bits (13 of 151 tables of a
    district month, up to 7e-16; bench/results/e2e.md, stop 44). Each value is cast to a
    decimal of 18 places first: a sum of decimals is exact, so the mean is the same
    whatever the order, on DuckDB and on Spark. Up to 20 integer digits: scores, rates and
    z-scores, summed over a city's students, fit.

    `filter`: a condition (the aggregate's FILTER); `over`: a window (partition by ...).
    A standard deviation is the square root of the exact mean of squared deviations from
    an exact mean, computed in a step before (a window cannot hold a window): a deviation
    of equal scores is then exactly 0. -#}
{% macro exact_mean(expr, filter=none, over=none) -%}
cast(avg(cast({{ expr }} as decimal(38, 18))){% if filter %} filter (where {{ filter }}){% endif %}{% if over %} over ({{ over }}){% endif %} as double)
{%- endmacro %}
