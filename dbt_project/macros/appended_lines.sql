{#- A model of one row (or a few) per line of an append-only log, joined to what the rest
    of the lake says about the line: the governance events (each access event with its
    grant and the classifications it read) and their subjects (each student an access
    returned, with the principal's roster scope on that day).

    The log only ever grows (stg_access__events appends each day's deliveries), while the
    rest changes rarely and then may change every row: a grants delivery, a roster, a seed.
    So a run appends the rows of the lines the model has not seen, and rebuilds the model
    whole when anything else it reads changed. A new day then costs that day's events,
    not the whole log again (a district month: 1.1 M events, 4 s and 2 s each day).

    What the model has seen: every row carries its line (_delivery, _position), and the
    fingerprint of everything else it read (_inputs_fingerprint: row count and the sum of
    row hashes of each input relation, and the model's own code, in one string). A run
    rebuilds whole when
      - the table is new, or the run asks for `rebuild` (Dagster's `eduhouse run --full`);
      - the fingerprint differs from the stored one;
      - a line the model holds is no longer in the log (retention emptied the log's model
        and read it again: nothing that expired may stay here).
    The pre-hook (empty_unless_appending) decides, and empties the table to rebuild it.
    The model's select always keeps the lines the table has no row of (unseen_lines): all
    of them once the pre-hook has emptied it, since pre-hooks run before the select. A
    table built before these columns existed is rebuilt whole once; a change of the
    model's columns syncs the table's (on_schema_change) and, its code having changed,
    rebuilds it whole.

    Arguments are model or seed names: `log_model` the log's model; `inputs` the relations
    hashed whole; `upstream` appended-lines models whose stored fingerprint counts as an
    input (a rebuild of theirs for their inputs rebuilds this one too). The model's own
    select calls lines_fingerprint (it refs them all, which dbt needs at parse time) and
    stores what it returns as _inputs_fingerprint.

    On Spark (plain Parquet tables, no DELETE) such a model is rebuilt whole every run. -#}
{% macro appended_lines(log_model, inputs, upstream=[]) -%}
{{ adapter.dispatch('appended_lines')(log_model, inputs, upstream) }}
{%- endmacro %}

{% macro default__appended_lines(log_model, inputs, upstream) -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ empty_unless_appending(" ~ tojson(log_model) ~ ", " ~ tojson(inputs) ~ ", " ~ tojson(upstream) ~ ") }}"
) }}
{%- endmacro %}

{% macro spark__appended_lines(log_model, inputs, upstream) -%}
{{ config(materialized='table') }}
{%- endmacro %}

{#- The relations of the model names (refs outside any `execute` test: dbt learns the
    model's parents at parse time). -#}
{% macro appended_lines_relations(log_model, inputs, upstream) -%}
  {%- set hashed = [] -%}
  {%- for name in inputs -%}{%- do hashed.append(ref(name)) -%}{%- endfor -%}
  {%- set stored = [] -%}
  {%- for name in upstream -%}{%- do stored.append(ref(name)) -%}{%- endfor -%}
  {{ return({'log': ref(log_model), 'hashed': hashed, 'stored': stored}) }}
{%- endmacro %}

{#- The fingerprint of the inputs as they are now ('' on Spark, which rebuilds anyway). -#}
{% macro lines_fingerprint(log_model, inputs, upstream=[]) -%}
  {%- set relations = appended_lines_relations(log_model, inputs, upstream) -%}
  {#- a unit test's inputs are fixtures (CTEs), not tables to fingerprint -#}
  {%- if not execute or target.type == 'spark' or model.resource_type == 'unit_test' -%}{{ return('') }}{%- endif -%}
  {#- the model's own code too: a new column or a changed expression rebuilds it whole -#}
  {%- set parts = ["'" ~ model.checksum.checksum ~ "'"] -%}
  {%- for relation in relations['hashed'] -%}
    {%- do parts.append("(select count(*) || ':' || coalesce(sum(hash(t)::hugeint), 0) from " ~ relation ~ " as t)") -%}
  {%- endfor -%}
  {%- for relation in relations['stored'] -%}
    {%- do parts.append("(select coalesce(max(_inputs_fingerprint), '') from " ~ relation ~ ")") -%}
  {%- endfor -%}
  {{ return(run_query("select md5(concat_ws('|', " ~ parts | join(', ') ~ "))").columns[0].values()[0]) }}
{%- endmacro %}

{#- Whether the table holds the columns that say what it has seen (false: built before). -#}
{% macro holds_appended_lines() -%}
  {%- set held = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
  {{ return('_inputs_fingerprint' in held and '_delivery' in held and '_position' in held) }}
{%- endmacro %}

{#- Whether this run appends the unseen lines only (else the table is rebuilt whole). -#}
{% macro appending_lines(log_model, inputs, upstream=[]) -%}
  {%- if not execute or not is_incremental() or rebuild_partitions() -%}{{ return(false) }}{%- endif -%}
  {%- if not holds_appended_lines() -%}
    {{ log(this.identifier ~ ": built before it appended lines; rebuilding it whole", info=true) }}
    {{ return(false) }}
  {%- endif -%}
  {%- set fingerprint = lines_fingerprint(log_model, inputs, upstream) -%}
  {%- set stored = run_query("select max(_inputs_fingerprint) from " ~ this).columns[0].values()[0] -%}
  {%- if stored is not none and stored != fingerprint -%}
    {{ log(this.identifier ~ ": what it joins the log to changed; rebuilding it whole", info=true) }}
    {{ return(false) }}
  {%- endif -%}
  {%- set gone = run_query(
      "select count(*) from " ~ this ~ " as t where not exists (select 1 from " ~ ref(log_model)
      ~ " as l where l._delivery = t._delivery and l._position = t._position)").columns[0].values()[0] -%}
  {%- if gone > 0 -%}
    {{ log(this.identifier ~ ": " ~ gone ~ " row(s) of lines no longer in the log; rebuilding it whole", info=true) }}
    {{ return(false) }}
  {%- endif -%}
  {{ return(true) }}
{%- endmacro %}

{% macro empty_unless_appending(log_model, inputs, upstream) -%}
  {%- if execute and is_incremental() and not appending_lines(log_model, inputs, upstream) -%}
    delete from {{ this }}
  {%- endif -%}
{%- endmacro %}

{#- The condition that keeps the log's lines (alias `line`) the table has no row of yet:
    every line when it is new, or was just emptied by the pre-hook. -#}
{% macro unseen_lines(line) -%}
  {%- if execute and model.resource_type != 'unit_test' and is_incremental() and target.type != 'spark' and holds_appended_lines() -%}
    not exists (select 1 from {{ this }} as seen where seen._delivery = {{ line }}._delivery and seen._position = {{ line }}._position)
  {%- else -%}
    true
  {%- endif -%}
{%- endmacro %}
