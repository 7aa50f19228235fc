{#- The pseudonymous key of an id: hex(HMAC-SHA256(lake key, id)), RFC 2104 written with
    DuckDB's sha256. The key's pads are session variables set by the dbt plugin
    (orchestration/transform/duckdb_plugin.py) from <lake>/ops/secrets/pseudonym.key, so
    the key never appears in compiled SQL, dbt artifacts or logs. Without the plugin the
    variables are null and so is every key: a build cannot silently fall back to a
    default. -#}
{% macro pseudonymize(col) -%}
case when {{ col }} is null then null
     else sha256(getvariable('eduhouse_hmac_opad')
                 || unhex(sha256(getvariable('eduhouse_hmac_ipad') || encode(cast({{ col }} as varchar))))) end
{%- endmacro %}
