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

{% macro incremental_bronze_files(source_name, table_name, related_dates=none) -%}
  {{ return(adapter.dispatch('incremental_bronze_files')(source_name, table_name, related_dates)) }}
{%- endmacro %}

{#- The (local date, delivery) pairs the model has rows for: the files it has read.
    Distinct pairs first, then their text: joining the text on every row first cost
    stg_xapi__statements 0.14 s a call at a district month (6.5 M rows), 0.03 s so. -#}
{% macro bronze_files_read() -%}
  {{ return(run_query(
      "select cast(local_date as string) || '/' || _delivery from (select distinct local_date, _delivery from "
      ~ this ~ ") as files"
  ).columns[0].values() | list) }}
{%- endmacro %}

{#- The table's bronze files as (path, local date) and as 'date/delivery' keys (those of
    bronze_files_read), and the unread ones a run must read:
    those without a row in the model, within the requested dates if any; with `rebuild`,
    every file of the requested dates. -#}
{% macro bronze_files_to_read(source_name, table_name) -%}
  {%- set requested = partition_dates() -%}
  {%- set replace = requested is not none and rebuild_partitions() -%}
  {%- set loaded = [] if replace else bronze_files_read() -%}
  {%- set listed = [] -%}
  {%- set keys = [] -%}
  {%- set unread = [] -%}
  {%- for f in bronze_files(source_name, table_name) -%}
    {%- set m = modules.re.search('local_date=([0-9]{4}-[0-9]{2}-[0-9]{2})/([^/]+)\\.parquet$', f) -%}
    {%- if m -%}
      {%- do listed.append((f, m.group(1))) -%}
      {%- do keys.append(m.group(1) ~ '/' ~ m.group(2)) -%}
      {%- if (requested is none or m.group(1) in requested)
             and (replace or (m.group(1) ~ '/' ~ m.group(2)) not in loaded) -%}
        {%- do unread.append((f, m.group(1))) -%}
      {%- endif -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return({'listed': listed, 'keys': keys, 'unread': unread, 'replace': replace}) }}
{%- endmacro %}

{% macro default__incremental_bronze_files(source_name, table_name, related_dates) -%}
  {%- if not execute -%}{{ return({'files': [], 'mode': 'all'}) }}{%- endif -%}
  {#- A full build reads the whole table (files none): no listing, no file filter. -#}
  {%- if not is_incremental() -%}{{ return({'files': none, 'mode': 'all'}) }}{%- endif -%}
  {%- set found = bronze_files_to_read(source_name, table_name) -%}
  {%- set wanted = found['unread'] | map(attribute=0) | list -%}
  {%- set mode = 'replace' if found['replace'] else 'catch_up' -%}
  {{ log("incremental " ~ source_name ~ "." ~ table_name ~ " (" ~ mode ~ "): " ~ (wanted | length) ~ " file(s) to read", info=true) }}
  {{ return({'files': wanted, 'mode': mode}) }}
{%- endmacro %}

{#- On Spark a daily table is partitioned by local_date and a run overwrites whole dates
    (partition_configs.sql), so a run reads every file of each date it rewrites:

    - the dates with a file to read (bronze_files_to_read);
    - the dates related_dates(files) names for those files: for xAPI, the dates already
      holding an earlier version of one of their statements, or a statement they void.
      Those dates change too (a version loses, a statement is flagged).

    A new day costs that day's files and the few dates its corrections, voidings and late
    statements reach. mode 'dates'; `dates` lists them for the pre-hook that drops them
    first (drop_dates_to_reread), since a date whose rows all moved elsewhere writes no
    partition and would keep its old rows. -#}
{% macro spark__incremental_bronze_files(source_name, table_name, related_dates) -%}
  {%- if not execute -%}{{ return({'files': [], 'mode': 'all', 'dates': []}) }}{%- endif -%}
  {%- if not is_incremental() -%}{{ return({'files': none, 'mode': 'all', 'dates': []}) }}{%- endif -%}
  {%- set found = bronze_files_to_read(source_name, table_name) -%}
  {%- set dates = found['unread'] | map(attribute=1) | unique | list -%}
  {%- if found['unread'] and related_dates is not none -%}
    {%- set dates = (dates + related_dates(found['unread'] | map(attribute=0) | list)) | unique | list -%}
  {%- endif -%}
  {%- set files = found['listed'] | selectattr(1, 'in', dates) | map(attribute=0) | list -%}
  {{ log("incremental " ~ source_name ~ "." ~ table_name ~ " (dates): " ~ (dates | length) ~ " date(s), "
         ~ (files | length) ~ " file(s) to read", info=true) }}
  {{ return({'files': files, 'mode': 'dates', 'dates': dates | sort}) }}
{%- endmacro %}

{#- related_dates of xAPI statements: the local dates of the table holding a statement
    these files carry again (an earlier version, possibly on another date: a corrected
    timestamp) or void. -#}
{% macro xapi_dates_sharing_statements(files) -%}
  {%- set delivered = bronze_relation('xapi', 'statements', files=files) -%}
  {%- set query -%}
    select distinct cast(local_date as string) from {{ this }}
    where statement_id in (
        select lower(statement_id) from {{ delivered }} as d
        union all
        select lower(object_id) from {{ delivered }} as v
        where verb_id = {{ xapi_verb('voided') }} and object_type = 'StatementRef'
    )
  {%- endset -%}
  {{ return(run_query(query).columns[0].values() | list) }}
{%- endmacro %}

{#- Pre-hook of a daily model reading bronze: on Spark, drop the dates the run rewrites
    (computed again from the same table and files the model was compiled from). -#}
{% macro drop_dates_to_reread(source_name, table_name, related_dates=none) -%}
  {%- if execute and is_incremental() and target.type == 'spark' -%}
    {%- set batch = incremental_bronze_files(source_name, table_name, related_dates) -%}
    {%- if batch['dates'] -%}{{ spark__delete_partitions('local_date', 'daily', batch['dates']) }}{%- endif -%}
  {%- endif -%}
{%- endmacro %}

{#- Pre-hook of every partitioned model: with `rebuild` (or `always`: models that recompute
    a requested partition whole anyway), delete the requested partitions first, so a
    partition that now has no rows does not keep stale ones. -#}
{% macro replace_partitions(col, kind, always=false) -%}
  {%- if execute and is_incremental() and (always or rebuild_partitions()) -%}
    {%- set values = partition_dates() if kind == 'daily' else (partition_months() if kind == 'monthly' else partition_exams()) -%}
    {%- if values -%}{{ adapter.dispatch('delete_partitions')(col, kind, values) }}{%- endif -%}
  {%- endif -%}
{%- endmacro %}

{% macro default__delete_partitions(col, kind, values) -%}
delete from {{ this }} where {{ in_list(col, values, 'date' if kind == 'daily' else none) }}
{%- endmacro %}

{#- A Spark table of plain Parquet is partitioned by the key (partition_configs.sql):
    dropping a partition removes its folder; one that does not exist is no error. -#}
{% macro spark__delete_partitions(col, kind, values) -%}
alter table {{ this }} drop if exists
{%- for v in values %} partition ({{ col }} = '{{ v | replace("'", "''") }}'){{ "," if not loop.last }}{%- endfor %}
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
  {{ return(adapter.dispatch('groups_reloaded_since_last_run')(upstream_relation, key_cols, date_col)) }}
{%- endmacro %}

{#- On Spark a daily table overwrites whole dates: a run recomputes every date with a
    (re)loaded row, not just its groups. -#}
{% macro spark__groups_reloaded_since_last_run(upstream_relation, key_cols, date_col) -%}
  {{ return(dates_reloaded_since_last_run(upstream_relation, date_col)) }}
{%- endmacro %}

{% macro default__groups_reloaded_since_last_run(upstream_relation, key_cols, date_col) -%}
  {%- if not is_incremental() or (rebuild_partitions() and partition_dates() is not none) -%}
    {{ dates_reloaded_since_last_run(upstream_relation, date_col) }}
  {%- else -%}
    {%- set dates = reloaded_date_range(upstream_relation, date_col) if date_col in key_cols else none -%}
    ({% if dates %}{{ date_col }} between {{ dates[0] }} and {{ dates[1] }} and {% endif -%}
    ({{ key_cols | join(', ') }}) in (
        select distinct {{ key_cols | join(', ') }} from {{ upstream_relation }}
        where _loaded_at > coalesce((select max(_loaded_at) from {{ this }}), {{ timestamp_min() }})
        union
        -- the groups a corrected statement left (stg_xapi__statements: _replaced_*)
        select distinct {% for c in key_cols %}_replaced_{{ c }}{{ ', ' if not loop.last }}{% endfor %} from {{ upstream_relation }}
        where _replaced_local_date is not null
          and _loaded_at > coalesce((select max(_loaded_at) from {{ this }}), {{ timestamp_min() }})
    ))
  {%- endif -%}
{%- endmacro %}

{#- The first and last date of the groups groups_reloaded_since_last_run recomputes, as
    date literals (none when there are none): as a literal range it prunes the upstream's
    row groups by their date zone maps, as the same bound from a subquery does not. The
    upstream is appended in landing order, so a new day's groups read about the days they
    reach: int_microtest_responses_daily at a district new day 0.50 -> 0.10 s alone. -#}
{% macro reloaded_date_range(upstream_relation, date_col) -%}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- set since = "coalesce((select max(_loaded_at) from " ~ this ~ "), " ~ timestamp_min() ~ ")" -%}
  {%- set found = run_query(
      "select cast(min(d) as varchar), cast(max(d) as varchar) from ("
      ~ "select " ~ date_col ~ " as d from " ~ upstream_relation ~ " where _loaded_at > " ~ since
      ~ " union all select _replaced_" ~ date_col ~ " from " ~ upstream_relation
      ~ " where _replaced_" ~ date_col ~ " is not null and _loaded_at > " ~ since ~ ") as reloaded"
  ).rows[0] -%}
  {{ return(none if found[0] is none else ("date '" ~ found[0] ~ "'", "date '" ~ found[1] ~ "'")) }}
{%- endmacro %}

{#- Pre-hook of the daily models downstream of stg_xapi__statements. groups maps the
    model's group columns to the upstream's (person_sourced_id: actor_sourced_id, ...).
    A group can lose every statement it had (a correction moved them elsewhere); its
    recomputation then yields no row, and the old one would stay. So drop first:
    on DuckDB, the groups the statements reloaded since this model's last run left
    (their _replaced_* keys), which the run then recomputes; on Spark, the dates the
    upstream has no row for any more (a whole date left behind). -#}
{% macro drop_moved_groups(upstream_name, groups) -%}
  {%- if execute and is_incremental() -%}
    {{ adapter.dispatch('drop_moved_groups')(ref(upstream_name), groups) }}
  {%- endif -%}
{%- endmacro %}

{% macro default__drop_moved_groups(upstream, groups) -%}
delete from {{ this }} where ({{ groups.keys() | join(', ') }}) in (
    select {% for c in groups.values() %}_replaced_{{ c }}{{ ', ' if not loop.last }}{% endfor %}
    from {{ upstream }}
    where _replaced_local_date is not null
      and _loaded_at > coalesce((select max(_loaded_at) from {{ this }}), {{ timestamp_min() }})
)
{%- endmacro %}

{% macro spark__drop_moved_groups(upstream, groups) -%}
  {%- set gone = run_query(
      "select distinct cast(local_date as string) from " ~ this
      ~ " except select distinct cast(local_date as string) from " ~ upstream
  ).columns[0].values() | list -%}
  {%- if gone -%}{{ spark__delete_partitions('local_date', 'daily', gone) }}{%- endif -%}
{%- endmacro %}
