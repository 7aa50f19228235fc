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

{#- A sum of scores that is the sum of the scores as delivered, whatever their order.

    A score is read from its delivery's text ("0.1") into the nearest double, and doubles
    added give totals that depend on the representation and the order: 0.1 + 0.2 is
    0.30000000000000004 and 0.3 + 0 is 0.29999999999999999, so two students with the same
    total got different ranks and percentiles, and an exam's z-scores failed their check
    (the exam probe, stop 51). Each value is rounded to a decimal of 9 places first, which
    gives back the delivered value (scores are delivered with at most a few decimals), the
    decimals are added exactly, and the exact total is turned into its nearest double:
    equal totals are equal doubles, on DuckDB and on Spark. A score with more than 9
    decimals is summed at 9. -#}
{% macro exact_sum(expr, filter=none, over=none) -%}
cast(sum(cast({{ expr }} as decimal(38, 9))){% if filter %} filter (where {{ filter }}){% endif %}{% if over %} over ({{ over }}){% endif %} as double)
{%- endmacro %}
