{#- Knowledge-point mastery band of a score rate (sum score / sum max) over `items`
    answered items, by the dbt vars mastery_thresholds ({mastered, developing}) and
    mastery_min_items: fewer items than that is 'insufficient' evidence. -#}
{% macro exam_mastery_level(score_rate_col, items_col) -%}
{%- set t = var('mastery_thresholds', {'mastered': 0.8, 'developing': 0.6}) -%}
case
    when {{ items_col }} < {{ var('mastery_min_items', 3) | int }} or {{ score_rate_col }} is null then 'insufficient'
    when {{ score_rate_col }} >= {{ t['mastered'] | float }} then 'mastered'
    when {{ score_rate_col }} >= {{ t['developing'] | float }} then 'developing'
    else 'weak'
end
{%- endmacro %}
