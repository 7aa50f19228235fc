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

{#- A big mart can be stored in student_key order as it is built: its model ends with
    stored_in_student_key_order(). DuckDB keeps an INSERT's ORDER BY in the table even
    with preserve_insertion_order off (the profile's setting, to spare memory; an
    ORDER BY fixes the order regardless), so the export copies the table in the order it
    is stored instead of sorting it a second time: student_knowledge's 4 M rows at a
    district, 3.3 s sorted against 1.0 s. The copy itself keeps that order only when
    the session preserves insertion order, so it is turned on for the copy alone. -#}
{#- rank: a number in student_key order to sort by instead of the key, for a mart with
    many rows per student (student_knowledge: about 130). Sorting 4 M rows by the
    64-character key compares it whole between a student's rows; two such sorts at once
    (a month's first build) spilled under the memory limit. -#}
{% macro stored_in_student_key_order(rank=none) -%}
{{ return(adapter.dispatch('stored_in_student_key_order')(rank)) }}
{%- endmacro %}

{% macro default__stored_in_student_key_order(rank) -%}
{#- an incremental model appends its new rows at the end: its export must sort -#}
{%- if config.get('materialized') == 'incremental' -%}
  {{ exceptions.raise_compiler_error(model.name ~ ": an incremental model cannot be stored in student_key order") }}
{%- endif -%}
{{ config(stored_in_student_key_order=true) }}
order by {{ rank or 'student_key' }}
{%- endmacro %}

{#- Spark's export sorts whatever the table's order (COALESCE(1) after the sort). -#}
{% macro spark__stored_in_student_key_order(rank) -%}
{%- endmacro %}

{% macro default__export_parquet() -%}
{%- set exposure = (config.get('meta') or {}).get('exposure') -%}
{%- if exposure in ('public', 'restricted') -%}
{%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list if execute else [] -%}
{%- set target_file = export_folder(exposure == 'restricted') ~ '/' ~ this.identifier ~ '.parquet' -%}
{%- if config.get('stored_in_student_key_order') and 'student_key' in columns -%}
{%- set kept = run_query("select current_setting('preserve_insertion_order')").columns[0].values()[0] if execute else false -%}
set session preserve_insertion_order = true;
copy (select * from {{ this }}) to '{{ target_file }}' (format parquet, compression zstd);
set session preserve_insertion_order = {{ 'true' if kept else 'false' }}
{%- else -%}
copy (select * from {{ this }}{{ ' order by student_key' if 'student_key' in columns else '' }})
to '{{ target_file }}' (format parquet, compression zstd)
{%- endif -%}
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
