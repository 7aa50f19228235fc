{{ config(schema="restricted") }}
-- The data classification of every model column, read from the columns' dbt meta
-- (`classification`) at run time through the graph, with the model's exposure (public /
-- restricted). The audit joins accessed columns against it; the publication checks read
-- its Parquet export to find identifiers in public marts.
{%- set rows = [] %}
{%- if execute %}
  {%- for node in graph.nodes.values() if node.resource_type == 'model' %}
    {%- set model_meta = node.config.get('meta', {}) or node.get('meta', {}) %}
    {%- set exposure = model_meta.get('exposure') or ('restricted' if node.config.get('schema') == 'restricted' or 'restricted' in node.fqn or 'governance' in node.fqn else ('public' if 'marts' in node.fqn else 'internal')) %}
    {%- for col in node.columns.values() %}
      {%- set cls = (col.get('meta', {}) or {}).get('classification') or (col.get('config', {}).get('meta', {}) or {}).get('classification') %}
      {%- if cls %}
        {%- do rows.append((node.name, col.name, cls, exposure)) %}
      {%- endif %}
    {%- endfor %}
  {%- endfor %}
{%- endif %}
{%- if rows | length > 0 %}
select * from (values
{%- for r in rows %}
    ('{{ r[0] }}', '{{ r[1] }}', '{{ r[2] }}', '{{ r[3] }}'){{ "," if not loop.last }}
{%- endfor %}
) as t(model_name, column_name, classification, exposure)
{%- else %}
select cast(null as string) as model_name, cast(null as string) as column_name,
    cast(null as string) as classification, cast(null as string) as exposure
where false
{%- endif %}
