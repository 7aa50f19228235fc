{#- Generic test: every non-null value lies in [min_value, max_value] (a tiny float
    tolerance allowed). Used by the exam marts for rates (0..1), percentiles and
    discrimination (-1..1). Fix: find the rows returned and the model step that let a
    value escape its range (a max_score of 0, a score above its item's max). -#}
{% test exam_between(model, column_name, min_value, max_value) %}
select {{ column_name }} as value
from {{ model }}
where {{ column_name }} < {{ min_value }} - 1e-9
   or {{ column_name }} > {{ max_value }} + 1e-9
{% endtest %}
