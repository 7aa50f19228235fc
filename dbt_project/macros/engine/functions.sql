{#- Functions whose name or syntax differs between DuckDB and Spark, so a model stays one
    text. Where both engines share a spelling the models use it directly: array_contains,
    array_distinct, array_sort, array_intersect, array_agg, flatten, filter, cardinality,
    concat (of lists), max_by, any_value, qualify, `x::type`.

    fn(name): a DuckDB function name, spelled for the engine at hand:
      list_value(a, b)      a list of the arguments ([a, b]); list_value() is empty
      list_extract(x, i)    the i-th element, 1-based, NULL when out of range
      list_transform(x, f)  f applied to each element
      array_to_string(x, s) the elements joined by s, NULLs skipped
      unnest(x)             one row per element (in a select list)
      generate_series(a, b, step)  the list a, a + step, ... up to b
      string_split(s, sep)  s cut at each sep (a plain character, not a pattern)
      to_years(n)           an interval of n years, to add to or take from a date
    lambda(v): the head of a lambda (`lambda v:` / `v ->`). -#}
{% macro fn(name) -%}{{ return(adapter.dispatch('fn')(name)) }}{%- endmacro %}

{% macro default__fn(name) -%}{{ return(name) }}{%- endmacro %}

{% macro spark__fn(name) -%}
  {%- set names = {'list_value': 'array', 'list_extract': 'try_element_at', 'list_transform': 'transform',
                   'array_to_string': 'array_join', 'unnest': 'explode',
                   'generate_series': 'sequence', 'string_split': 'split', 'to_years': 'make_ym_interval'} -%}
  {%- if name not in names -%}
    {{ exceptions.raise_compiler_error("fn: no Spark spelling for " ~ name) }}
  {%- endif -%}
  {{ return(names[name]) }}
{%- endmacro %}

{% macro lambda(var) -%}{{ return(adapter.dispatch('lambda')(var)) }}{%- endmacro %}
{% macro default__lambda(var) -%}{{ return('lambda ' ~ var ~ ':') }}{%- endmacro %}
{% macro spark__lambda(var) -%}{{ return(var ~ ' ->') }}{%- endmacro %}

{#- A struct from (field, expression) pairs. -#}
{% macro make_struct(fields) -%}{{ return(adapter.dispatch('make_struct')(fields)) }}{%- endmacro %}

{% macro default__make_struct(fields) -%}
struct_pack({%- for name, expr in fields -%}{{ name }} := {{ expr }}{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}

{% macro spark__make_struct(fields) -%}
named_struct({%- for name, expr in fields -%}'{{ name }}', {{ expr }}{{ ", " if not loop.last }}{%- endfor -%})
{%- endmacro %}

{#- Whole days from a to b (dates). -#}
{% macro days_between(a, b) -%}{{ return(adapter.dispatch('days_between')(a, b)) }}{%- endmacro %}
{% macro default__days_between(a, b) -%}date_diff('day', {{ a }}, {{ b }}){%- endmacro %}
{% macro spark__days_between(a, b) -%}datediff({{ b }}, {{ a }}){%- endmacro %}

{#- A date or timestamp as text, with a strftime pattern (%Y %m %d %H %M %S); a
    timestamp is shown in the session's zone, the district's on both engines. -#}
{% macro format_time(col, pattern) -%}{{ return(adapter.dispatch('format_time')(col, pattern)) }}{%- endmacro %}
{% macro default__format_time(col, pattern) -%}strftime({{ col }}, '{{ pattern }}'){%- endmacro %}
{% macro spark__format_time(col, pattern) -%}
  {%- set java = pattern | replace('%Y', 'yyyy') | replace('%m', 'MM') | replace('%d', 'dd')
                         | replace('%H', 'HH') | replace('%M', 'mm') | replace('%S', 'ss') -%}
date_format({{ col }}, '{{ java }}')
{%- endmacro %}

{#- The list of expr over a group's rows, in the order of order_by (plain columns,
    comma-separated, ascending). -#}
{% macro ordered_list(expr, order_by) -%}{{ return(adapter.dispatch('ordered_list')(expr, order_by)) }}{%- endmacro %}
{% macro default__ordered_list(expr, order_by) -%}array_agg({{ expr }} order by {{ order_by }}){%- endmacro %}
{#- Spark's array_agg has no ORDER BY: sort (key, value) pairs, then keep the values. -#}
{% macro spark__ordered_list(expr, order_by) -%}
transform(array_sort(array_agg(named_struct(
  {%- for key in order_by.split(',') -%}'k{{ loop.index }}', {{ key | trim }}, {% endfor -%}
  'v', {{ expr }}))), s -> s.v)
{%- endmacro %}

{#- The first n elements of a list. -#}
{% macro list_head(list, n) -%}{{ return(adapter.dispatch('list_head')(list, n)) }}{%- endmacro %}
{% macro default__list_head(list, n) -%}{{ list }}[1:{{ n }}]{%- endmacro %}
{% macro spark__list_head(list, n) -%}slice({{ list }}, 1, {{ n }}){%- endmacro %}

{#- The distinct values of a group as one text, sorted, NULLs left out: deterministic on
    both engines (string_agg(distinct ...) follows hash order, which differs). -#}
{% macro distinct_text(expr, sep) -%}
{{ fn('array_to_string') }}(array_sort(array_agg(distinct {{ expr }})), '{{ sep }}')
{%- endmacro %}

{#- SHA-256 of a text, as lowercase hex. -#}
{% macro sha256_hex(expr) -%}{{ return(adapter.dispatch('sha256_hex')(expr)) }}{%- endmacro %}
{% macro default__sha256_hex(expr) -%}sha256({{ expr }}){%- endmacro %}
{% macro spark__sha256_hex(expr) -%}sha2(encode({{ expr }}, 'utf-8'), 256){%- endmacro %}

{#- inlined(): written after `<name> as` in a WITH clause, it makes each reader of the CTE
    read its source again. DuckDB 2.0 materializes a CTE that two or more parts of a query
    read: every row with every column, when each reader needs a few columns of it (a
    district month's access log in int_governance__check_log_integrity: 0.97 -> 0.83 s,
    the same rows). Not for a CTE whose reading costs more than holding it, such as one
    that filters against the model's own table. Spark never materializes one. -#}
{% macro inlined() -%}{{ return(adapter.dispatch('inlined')()) }}{%- endmacro %}
{% macro default__inlined() -%}{{ return('not materialized') }}{%- endmacro %}
{% macro spark__inlined() -%}{{ return('') }}{%- endmacro %}
