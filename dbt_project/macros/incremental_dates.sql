{#- How the daily event models (tag partition_daily) load a run's worth of data.

    Bronze event tables are immutable files, one per (local date, delivery):
    bronze/<source>/<table>/local_date=YYYY-MM-DD/<delivery_id>.parquet. A model row
    carries its _delivery, so the files a model has already read are known from the
    model itself, with no watermark to drift:

    - full build: every file;
    - catch-up (the default; Dagster's daily partitions without `rebuild`): only files
      with no row in the model yet, within the requested dates if any. A new day costs
      that day's deliveries, even when they carry late statements for older dates. (A
      file every statement of which lost to another delivery's copy has no row either:
      it is read again each run and loads nothing; rare and small.)
    - replace (`partition_dates` with `rebuild`): every file of the requested dates, whose
      rows are deleted first (pre-hook replace_partitions), for backfills and repairs. -#}

{% macro incremental_bronze_files(source_name, table_name) -%}
  {%- if not execute -%}{{ return({'files': [], 'mode': 'all'}) }}{%- endif -%}
  {#- A full build reads the whole table (files none): no listing, no file filter. -#}
  {%- if not is_incremental() -%}{{ return({'files': none, 'mode': 'all'}) }}{%- endif -%}
  {%- set all_files = bronze_files(source_name, table_name) -%}
  {%- set dates = partition_dates() -%}
  {%- set replace = dates is not none and rebuild_partitions() -%}
  {%- set loaded = [] if replace else run_query(
        "select distinct cast(local_date as string) || '/' || _delivery from " ~ this
      ).columns[0].values() | list -%}
  {%- set wanted = [] -%}
  {%- for f in all_files -%}
    {%- set m = modules.re.search('local_date=([0-9]{4}-[0-9]{2}-[0-9]{2})/([^/]+)\\.parquet$', f) -%}
    {%- if m and (dates is none or m.group(1) in dates)
              and (replace or (m.group(1) ~ '/' ~ m.group(2)) not in loaded) -%}
      {%- do wanted.append(f) -%}
    {%- endif -%}
  {%- endfor -%}
  {%- set mode = 'replace' if replace else 'catch_up' -%}
  {{ log("incremental " ~ source_name ~ "." ~ table_name ~ " (" ~ mode ~ "): " ~ (wanted | length) ~ " file(s) to read", info=true) }}
  {{ return({'files': wanted, 'mode': mode}) }}
{%- endmacro %}

{#- Pre-hook of every partitioned model: with `rebuild` (or `always`: models that recompute
    a requested partition whole anyway), delete the requested partitions first, so a
    partition that now has no rows does not keep stale ones. -#}
{% macro replace_partitions(col, kind, always=false) -%}
  {%- if execute and is_incremental() and (always or rebuild_partitions()) -%}
    {%- set values = partition_dates() if kind == 'daily' else (partition_months() if kind == 'monthly' else partition_exams()) -%}
    {%- if values is not none -%}
      delete from {{ this }} where {{ in_list(col, values, 'date' if kind == 'daily' else none) }}
    {%- endif -%}
  {%- endif -%}
{%- endmacro %}

{#- Downstream daily models: the local dates to recompute, as a SQL predicate on
    local_date. Full build: all. Replace: the requested dates. Otherwise the dates an
    upstream daily model (re)loaded since this model last ran, by the upstream's
    _loaded_at stamp (recomputed whole, so a late statement updates its day's totals). -#}
{% macro dates_reloaded_since_last_run(upstream_relation, date_col='local_date') -%}
  {%- if not is_incremental() -%}
    true
  {%- elif rebuild_partitions() and partition_dates() is not none -%}
    {{ in_list(date_col, partition_dates(), 'date') }}
  {%- else -%}
    {{ date_col }} in (
        select distinct local_date from {{ upstream_relation }}
        where _loaded_at > coalesce((select max(_loaded_at) from {{ this }}), {{ timestamp_min() }})
    )
  {%- endif -%}
{%- endmacro %}

{#- Like dates_reloaded_since_last_run, but narrower: only the groups (key_cols, on the
    upstream's rows, e.g. actor and local_date) that have a row the upstream (re)loaded
    since this model last ran. The model recomputes those groups whole from the upstream
    and replaces them (unique_key = the same columns), so a day's late statements cost
    their own people's days, not whole days. -#}
{% macro groups_reloaded_since_last_run(upstream_relation, key_cols, date_col='local_date') -%}
  {%- if not is_incremental() or (rebuild_partitions() and partition_dates() is not none) -%}
    {{ dates_reloaded_since_last_run(upstream_relation, date_col) }}
  {%- else -%}
    ({{ key_cols | join(', ') }}) in (
        select distinct {{ key_cols | join(', ') }} from {{ upstream_relation }}
        where _loaded_at > coalesce((select max(_loaded_at) from {{ this }}), {{ timestamp_min() }})
    )
  {%- endif -%}
{%- endmacro %}
