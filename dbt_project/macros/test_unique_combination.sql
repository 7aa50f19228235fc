{#- Generic test: the columns together identify a row (a model's grain). Fails with the
    duplicated key values. Fix: find why the upstream join fans out (often a missing
    DISTINCT or a key that is not unique in a joined table). -#}
{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}
