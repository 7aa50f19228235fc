{#- Contracts on Spark. A Parquet table in the metastore cannot declare NOT NULL (dbt-spark
    only does so for Delta), so a model's not_null constraints are checked right after the
    table is built: a NULL fails the model, as DuckDB's constraint would, instead of being
    silently accepted. Column names and types are checked by dbt's contract itself. -#}
{% macro spark__persist_constraints(relation, model) %}
  {%- set contract_config = config.get('contract') -%}
  {%- if contract_config.enforced -%}
    {%- set checked = [] -%}
    {%- for name, column in model.columns.items() -%}
      {%- for constraint in column.get('constraints', []) -%}
        {%- if constraint.type == 'not_null' -%}{%- do checked.append(name) -%}{%- endif -%}
      {%- endfor -%}
    {%- endfor -%}
    {%- if checked -%}
      {%- set counts -%}
        select {% for name in checked -%}
          count_if({{ adapter.quote(name) }} is null) as {{ adapter.quote(name) }}{{ ", " if not loop.last }}
        {%- endfor %} from {{ relation }}
      {%- endset -%}
      {%- set row = run_query(counts).rows[0] -%}
      {%- for name in checked -%}
        {%- if row[loop.index0] > 0 -%}
          {{ exceptions.raise_compiler_error("contract: " ~ relation ~ "." ~ name ~ " is declared not null but has " ~ row[loop.index0] ~ " NULL row(s)") }}
        {%- endif -%}
      {%- endfor -%}
    {%- endif -%}
  {%- endif -%}
{% endmacro %}
