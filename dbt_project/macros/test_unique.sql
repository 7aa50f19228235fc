{#- dbt's built-in `unique` test, hash first (as unique_combination): one 64-bit hash per
    row is grouped, and only the values whose hash repeats, none when the column is
    unique, are grouped by the value itself, so a collision costs a little time and never
    a false failure. The same rows fail as with dbt's own test. Every daily run tests
    stg_xapi__statements' statement ids, all of them: 0.84 -> 0.60 s at a district month. -#}
{% macro default__test_unique(model, column_name) %}
with repeated_hashes as (
    select hash({{ column_name }}) as value_hash
    from {{ model }}
    where {{ column_name }} is not null
    group by hash({{ column_name }})
    having count(*) > 1
)

select
    {{ column_name }} as unique_field,
    count(*) as n_records
from {{ model }}
where {{ column_name }} is not null
  and hash({{ column_name }}) in (select value_hash from repeated_hashes)
group by {{ column_name }}
having count(*) > 1
{% endmacro %}
