{#- Post-hook of every exported mart: write the finished table as Parquet into
    <lake>/marts/.staging/ (restricted: <lake>/restricted/.staging/). The Dagster dbt
    asset then renames it into <lake>/marts/<name>.parquet with os.replace, so readers
    never see a half-written file. The folders are created by
    orchestration.transform.project.prepare_lake() before dbt runs. -#}
{% macro export_folder(restricted=false) -%}
{{ var('lake_root') }}/{{ 'restricted' if restricted else 'marts' }}/.staging
{%- endmacro %}

{% macro export_parquet(restricted=false) -%}
copy (select * from {{ this }}) to '{{ export_folder(restricted) }}/{{ this.identifier }}.parquet' (format parquet, compression zstd)
{%- endmacro %}
