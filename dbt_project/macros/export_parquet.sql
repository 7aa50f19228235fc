{#- Post-hook of every exported mart: write the finished table as Parquet into
    <lake>/marts/.staging/ (restricted: <lake>/restricted/.staging/). The Dagster dbt
    asset then renames it into <lake>/marts/<name>.parquet with os.replace, so readers
    never see a half-written file. The folders are created by
    orchestration.transform.project.prepare_lake() before dbt runs. -#}
{% macro export_folder(restricted=false) -%}
{{ var('lake_root') }}/{{ 'restricted' if restricted else 'marts' }}/.staging
{%- endmacro %}

{#- A mart with a student_key is written in student_key order: Parquet keeps each row
    group's min/max, so a reader looking up one student or one class's students (the
    governed API, the reports) skips the row groups that cannot hold them instead of
    scanning the file. -#}
{% macro export_parquet(restricted=false) -%}
{%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list if execute else [] -%}
copy (select * from {{ this }}{{ ' order by student_key' if 'student_key' in columns else '' }})
to '{{ export_folder(restricted) }}/{{ this.identifier }}.parquet' (format parquet, compression zstd)
{%- endmacro %}
