{#- The post-hook of every model under models/marts (dbt_project.yml): a model whose
    contract says `meta.exposure: public` is written as Parquet into
    <lake>/marts/.staging/, one with `restricted` into <lake>/restricted/.staging/; any
    other model is not exported (the hook renders nothing, and dbt skips it). The
    exposure is the one place that decides: the Dagster translator reads the same key.
    The Dagster dbt asset then renames the file into <lake>/marts/<name>.parquet with
    os.replace, so readers never see a half-written file. The folders are created by
    orchestration.transform.project.prepare_lake() before dbt runs. -#}
{% macro export_folder(restricted=false) -%}
{{ var('lake_root') }}/{{ 'restricted' if restricted else 'marts' }}/.staging
{%- endmacro %}

{#- A mart with a student_key is written in student_key order: Parquet keeps each row
    group's min/max, so a reader looking up one student or one class's students (the
    governed API, the reports) skips the row groups that cannot hold them instead of
    scanning the file. -#}
{% macro export_parquet() -%}
{{ adapter.dispatch('export_parquet')() }}
{%- endmacro %}

{% macro default__export_parquet() -%}
{%- set exposure = (config.get('meta') or {}).get('exposure') -%}
{%- if exposure in ('public', 'restricted') -%}
{%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list if execute else [] -%}
copy (select * from {{ this }}{{ ' order by student_key' if 'student_key' in columns else '' }})
to '{{ export_folder(exposure == 'restricted') }}/{{ this.identifier }}.parquet' (format parquet, compression zstd)
{%- endif -%}
{%- endmacro %}

{#- Spark writes a folder <name>.parquet/ holding one part file (COALESCE(1) after the
    sort keeps the order); publishing moves that part file into place as <name>.parquet,
    so readers get the same single file from either engine. A partitioned table keeps its
    partition column last: the columns are written in the contract's order, as on DuckDB. -#}
{% macro spark__export_parquet() -%}
{%- set exposure = (config.get('meta') or {}).get('exposure') -%}
{%- if exposure in ('public', 'restricted') -%}
{%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list if execute else [] -%}
{%- set declared = model.columns.keys() | list -%}
{%- set ordered = declared if (declared | sort) == (columns | sort) else columns -%}
insert overwrite directory '{{ export_folder(exposure == 'restricted') }}/{{ this.identifier }}.parquet'
using parquet options (compression 'zstd')
select /*+ COALESCE(1) */ {% for c in ordered %}{{ adapter.quote(c) }}{{ ', ' if not loop.last }}{% else %}*{% endfor %} from {{ this }}{{ ' order by student_key' if 'student_key' in columns else '' }}
{%- endif -%}
{%- endmacro %}
