{#- SQL types in one text for both engines. Contracts and casts name DuckDB's types
    (VARCHAR, TIMESTAMPTZ, VARCHAR[], STRUCT(...)[]); sql_type() gives the engine's
    spelling of one. In models, `string` (a DuckDB alias of VARCHAR) and type_timestamptz()
    keep a cast valid on both. -#}
{% macro sql_type(dtype) -%}
  {{- return(adapter.dispatch('sql_type')(dtype)) -}}
{%- endmacro %}

{% macro default__sql_type(dtype) -%}
  {{- return(dtype) -}}
{%- endmacro %}

{% macro spark__sql_type(dtype) -%}
  {%- set t = dtype | trim -%}
  {%- if t.endswith('[]') -%}
    {{- return('array<' ~ spark__sql_type(t[:-2]) ~ '>') -}}
  {%- endif -%}
  {%- set m = modules.re.match('(?i)^struct\\s*\\((.*)\\)$', t) -%}
  {%- if m -%}
    {%- set fields = [] -%}
    {%- for part in m.group(1).split(',') -%}
      {%- set name, ftype = part.strip().split(' ', 1) -%}
      {%- do fields.append(name ~ ': ' ~ spark__sql_type(ftype)) -%}
    {%- endfor -%}
    {{- return('struct<' ~ fields | join(', ') ~ '>') -}}
  {%- endif -%}
  {%- set names = {'varchar': 'string', 'text': 'string', 'timestamptz': 'timestamp',
                   'timestamp with time zone': 'timestamp', 'timestamp': 'timestamp_ntz',
                   'integer': 'int', 'hugeint': 'decimal(38,0)', 'ubigint': 'decimal(20,0)',
                   'blob': 'binary', 'real': 'float'} -%}
  {{- return(names.get(t | lower, t | lower)) -}}
{%- endmacro %}

{% macro type_timestamptz() -%}{{ sql_type('TIMESTAMPTZ') }}{%- endmacro %}
{% macro type_string_list() -%}{{ sql_type('VARCHAR[]') }}{%- endmacro %}

{#- A timestamp before every real one (the start of an incremental watermark). -#}
{% macro timestamp_min() -%}{{ return(adapter.dispatch('timestamp_min')()) }}{%- endmacro %}
{% macro default__timestamp_min() -%}'-infinity'::timestamptz{%- endmacro %}
{% macro spark__timestamp_min() -%}timestamp'0001-01-01 00:00:00Z'{%- endmacro %}
