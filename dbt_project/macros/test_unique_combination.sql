{#- Generic test: the columns together identify a row (a model's grain). Fails with the
    duplicated key values. Fix: find why the upstream join fans out (often a missing
    DISTINCT or a key that is not unique in a joined table).
    Hash first: grouping one 64-bit hash of the key is cheaper than grouping the key's
    text (student_knowledge's 4 M rows: 0.7 → 0.3 s); only the rows whose hash repeats,
    none when the grain holds, are grouped by the key itself, so a collision costs a
    little time and never a false failure. -#}
{% test unique_combination(model, columns) %}
{%- set key = columns | join(', ') -%}
with repeated_hashes as (
    select hash({{ key }}) as key_hash
    from {{ model }}
    group by hash({{ key }})
    having count(*) > 1
)

select {{ key }}, count(*) as n_rows
from {{ model }}
where hash({{ key }}) in (select key_hash from repeated_hashes)
group by {{ key }}
having count(*) > 1
{% endtest %}
