{#- Which bronze files an incremental event model must (re)read.

    Full build: every file. Incremental: the files of the local dates touched by
    deliveries that finished landing after the previous run looked at the ledger
    (ledger/<source>/*.parquet: local_dates, finished_at, status; the ledger's newest
    finished_at at load time is kept in the column _ledger_watermark). The whole of each
    touched date is re-read, and the model replaces those dates (delete+insert on
    local_date), so a new day costs a day's work and a late delivery for an old day
    rebuilds just that day. Without a ledger the model falls back to every file. -#}
{% macro ledger_snapshot(source_name) -%}
  {#- The newest finished_at in the source's ledger now: stored with the rows a run
      loads, so the next run asks only for deliveries that finished after it. -#}
  {%- set ledger_glob = var('lake_root') ~ '/ledger/' ~ source_name ~ '/*.parquet' -%}
  {%- set n = run_query("select count(*) from glob('" ~ ledger_glob ~ "')").columns[0].values()[0] -%}
  {%- if n == 0 -%}{{ return(none) }}{%- endif -%}
  {%- set q = "select cast(max(finished_at) as varchar) from read_parquet('" ~ ledger_glob ~ "', union_by_name = true)" -%}
  {{ return(run_query(q).columns[0].values()[0]) }}
{%- endmacro %}

{% macro touched_local_dates(source_name, watermark_sql) -%}
  {%- set ledger_glob = var('lake_root') ~ '/ledger/' ~ source_name ~ '/*.parquet' -%}
  {%- set q -%}
    select distinct cast(d as varchar) as d
    from (
        select unnest(local_dates) as d
        from read_parquet('{{ ledger_glob }}', union_by_name = true)
        where coalesce(status, 'landed') = 'landed'
          and finished_at > coalesce(({{ watermark_sql }}), '-infinity'::timestamptz)
    )
    where d is not null
    order by 1
  {%- endset -%}
  {{ return(run_query(q).columns[0].values() | list) }}
{%- endmacro %}

{#- Returns {'files': [...], 'watermark': '<ledger max finished_at>' or none}. -#}
{% macro incremental_bronze_files(source_name, table_name) -%}
  {%- if not execute -%}{{ return({'files': [], 'watermark': none}) }}{%- endif -%}
  {%- set all_files = bronze_files(source_name, table_name) -%}
  {%- set snapshot = ledger_snapshot(source_name) -%}
  {%- set loaded_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list if is_incremental() else [] -%}
  {%- if not is_incremental() or snapshot is none or '_ledger_watermark' not in loaded_columns -%}
    {#- first build, no ledger, or a table from before the watermark column: read all -#}
    {{ return({'files': all_files, 'watermark': snapshot}) }}
  {%- endif -%}
  {%- set dates = touched_local_dates(source_name, 'select max(_ledger_watermark) from ' ~ this) -%}
  {%- set wanted = [] -%}
  {%- for f in all_files -%}
    {%- set m = modules.re.search('local_date=([0-9]{4}-[0-9]{2}-[0-9]{2})', f) -%}
    {%- if m and m.group(1) in dates -%}{%- do wanted.append(f) -%}{%- endif -%}
  {%- endfor -%}
  {{ log("incremental " ~ source_name ~ "." ~ table_name ~ ": " ~ (dates | length) ~ " local date(s), " ~ (wanted | length) ~ " file(s)", info=true) }}
  {{ return({'files': wanted, 'watermark': snapshot}) }}
{%- endmacro %}

{#- Downstream incremental models: the local dates an upstream incremental model
    (re)loaded since this model last ran, via the upstream's _loaded_at stamp. Returns a
    SQL predicate on local_date (true on a full build). -#}
{% macro dates_reloaded_since_last_run(upstream_relation, date_col='local_date') -%}
  {%- if is_incremental() -%}
    {{ date_col }} in (
        select distinct local_date from {{ upstream_relation }}
        where _loaded_at > coalesce((select max(_loaded_at) from {{ this }}), '-infinity'::timestamptz)
    )
  {%- else -%}
    true
  {%- endif -%}
{%- endmacro %}
