{#- stg_xapi__statements' lookup key: the statement id as a 128-bit UUID value.

    A new day's catch-up finds the loaded versions of its statements (held_rows) and dbt's
    delete+insert then deletes them (unique_key): each reads the key column of every row
    the table holds, which is every statement so far. As text (36 characters, compressed
    DICT_FSST) that read cost 0.28 s for 18.8 M statements (89 district days); as a UUID,
    16 bytes a value compared as an integer, 0.04 s: 7x cheaper, and the table grows by
    about 7 M statements a district month. On that new day the catch-up query alone went
    0.95-1.07 s -> 0.75-0.81 s, and dbt's delete (with the insert) 0.64 s -> 0.33-0.34 s.
    A landed id is a UUID (landing quarantines any other, invalid_uuid), so the value and
    the lower-cased text are one to one.
    On Spark the key is the lower-cased text: it has no UUID type, and its daily tables
    overwrite dates instead (partition_configs.sql), so nothing looks rows up by it. -#}
{% macro statement_key(expr) -%}
{{ return(adapter.dispatch('statement_key')(expr)) }}
{%- endmacro %}

{% macro default__statement_key(expr) -%}
try_cast({{ expr }} as uuid)
{%- endmacro %}

{% macro spark__statement_key(expr) -%}
lower({{ expr }})
{%- endmacro %}

{#- Pre-hook: a table built before the key existed gets it, computed from statement_id,
    before the run looks rows up by it (on_schema_change would add it empty, and an empty
    key finds nothing: a corrected statement would then be held twice). Once per lake:
    18.6-18.8 M statements took 4.1-4.4 s. -#}
{% macro add_missing_statement_keys() -%}
  {%- if execute and is_incremental() and target.type != 'spark' -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {%- if '_statement_key' not in columns -%}
      {{ log("stg_xapi__statements: computing _statement_key for the " ~ this ~ " rows loaded before it existed", info=true) }}
alter table {{ this }} add column _statement_key uuid;
update {{ this }} set _statement_key = {{ statement_key('statement_id') }}
    {%- endif -%}
  {%- endif -%}
{%- endmacro %}
