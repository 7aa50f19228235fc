{#- Generic tests on a partitioned model check the partitions the run built: when the run
    was given partition vars (macros/partitions.sql), the tested relation is narrowed to
    them, on top of any `where` config. A full build, or a run without partition vars,
    tests every row. Overrides dbt's default__get_where_subquery, which every generic
    test calls; it runs in dbt's namespace, so it cannot call this project's macros and
    reads the request (vars or EDUHOUSE_DBT_PARTITIONS) itself. -#}
{% macro default__get_where_subquery(relation) -%}
  {%- set where = config.get('where', '') -%}
  {%- set scope = none -%}
  {%- if execute and model is defined and model.resource_type == 'test' -%}
    {%- set parents = model.depends_on.nodes | select('in', graph.nodes) | list -%}
    {%- set tags = graph.nodes[parents[0]].tags if parents else [] -%}
    {%- set raw = env_var('EDUHOUSE_DBT_PARTITIONS', '') -%}
    {%- set request = fromjson(raw) if raw else {} -%}
    {%- set dates = var('partition_dates', request.get('partition_dates')) -%}
    {%- set months = var('partition_months', request.get('partition_months')) -%}
    {%- set exams = var('partition_exams', request.get('partition_exams')) -%}
    {%- if 'partition_daily' in tags and dates -%}
      {%- set scope = "local_date between date '" ~ dates['start'] ~ "' and date '" ~ dates['end'] ~ "'" -%}
    {%- elif 'partition_monthly' in tags and months -%}
      {%- set scope = "month between '" ~ months['start'] ~ "' and '" ~ months['end'] ~ "'" -%}
    {%- elif 'partition_exam' in tags and exams is not none -%}
      {%- set exams = [exams] if exams is string else exams -%}
      {%- set quoted = [] -%}
      {%- for e in exams -%}{%- do quoted.append("'" ~ (e | string | replace("'", "''")) ~ "'") -%}{%- endfor -%}
      {%- set scope = "exam_id in (" ~ (quoted | join(', ') if quoted else 'null') ~ ")" -%}
    {%- endif -%}
  {%- endif -%}
  {%- if where or scope -%}
    {%- set filtered -%}
      (select * from {{ relation }} where {{ where if where else 'true' }} and {{ scope if scope else 'true' }}) dbt_subquery
    {%- endset -%}
    {{ return(filtered) }}
  {%- else -%}
    {{ return(relation) }}
  {%- endif -%}
{%- endmacro %}
