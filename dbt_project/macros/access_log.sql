{#- An access-log line's content as one text: every field the contract gives an event,
    a NULL told apart from every value, so two lines of one event id compare as the same
    event or not (int_governance__check_log_integrity: log_duplicate_event). Columns of
    the relation in scope, unqualified. -#}
{% macro access_line_content() -%}
{%- set scalars = ['seq', 'event_time', 'principal_id', 'role', 'client_app', 'action', 'resource', 'purpose',
                   'decision', 'grant_id', 'rows_returned'] -%}
concat_ws('|'
{%- for c in scalars %}, coalesce(cast({{ c }} as string), '<null>'){% endfor -%}
{%- for c in ['columns', 'subject_ids'] %}, coalesce({{ fn('array_to_string') }}({{ c }}, ','), '<null>'){% endfor -%}
)
{%- endmacro %}
