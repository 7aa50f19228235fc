{#- Keep the newest version of each record: OneRoster supersedes by sourcedId and
    dateLastModified; ties (same timestamp delivered twice) go to the latest landing,
    then the last line. Used by every roster staging model. -#}
{% macro latest_by_key(relation, key, modified_col='"dateLastModified"') -%}
(select * from {{ relation }} as r
 qualify row_number() over (
     partition by {{ key }}
     order by {{ modified_col }} desc nulls last, "_landed_at" desc nulls last, "_delivery" desc, "_position" desc
 ) = 1)
{%- endmacro %}

{#- OneRoster status: empty in bulk files means active; 'tobedeleted' rows are dropped
    after picking the latest version (a deletion supersedes the record). -#}
{% macro is_not_deleted(status_col='status') -%}
coalesce(lower(nullif(trim({{ status_col }}), '')), 'active') <> 'tobedeleted'
{%- endmacro %}
