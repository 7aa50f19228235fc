{#- The pseudonymous student_key: a keyed hash sha256(secret || ':' || id). The secret
    comes from EDUHOUSE_PSEUDONYM_SECRET (dbt var pseudonym_secret), so a key cannot be
    recomputed from the id alone; keys are stable while the secret is. -#}
{% macro pseudonymize(col) -%}
case when {{ col }} is null then null
     else sha256('{{ var("pseudonym_secret") | replace("'", "''") }}' || ':' || cast({{ col }} as varchar)) end
{%- endmacro %}
