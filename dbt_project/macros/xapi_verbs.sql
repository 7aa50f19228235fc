{#- The platform's xAPI profile (docs/inputs.md, xAPI): event name -> verb IRI. Statements with
    other verbs are valid, kept in staging, and ignored by the marts. -#}
{% macro xapi_verb(event) -%}
{%- set verbs = {
    'login': 'https://w3id.org/xapi/adl/verbs/logged-in',
    'logout': 'https://w3id.org/xapi/adl/verbs/logged-out',
    'viewed': 'http://id.tincanapi.com/verb/viewed',
    'assign': 'http://activitystrea.ms/schema/1.0/assign',
    'answered': 'http://adlnet.gov/expapi/verbs/answered',
    'completed': 'http://adlnet.gov/expapi/verbs/completed',
    'submit': 'http://activitystrea.ms/schema/1.0/submit',
    'registered': 'http://adlnet.gov/expapi/verbs/registered',
    'attended': 'http://adlnet.gov/expapi/verbs/attended',
    'voided': 'http://adlnet.gov/expapi/verbs/voided',
} -%}
'{{ verbs[event] }}'
{%- endmacro %}

{#- A statement of one event of the platform's profile, as a SQL predicate over a staging
    row. `assign` and `completed` are shared: homework and check-ins are told apart by the
    object's definition.type, and an assign or completed of anything else is the
    micro-test's (xAPI makes `definition` optional, so a bare micro-test still counts).
    The platform's own namespace is free, so its types and verbs match by their path. -#}
{% macro xapi_event(event) -%}
{%- set homework = "coalesce(object_definition_type, '') like '%/activitytypes/homework'" -%}
{%- set checkin = "coalesce(object_definition_type, '') like '%/activitytypes/check-in'" -%}
{%- if event == 'microtest_assigned' -%}
(verb_id = {{ xapi_verb('assign') }} and not {{ homework }} and not {{ checkin }})
{%- elif event == 'homework_published' -%}
(verb_id = {{ xapi_verb('assign') }} and {{ homework }})
{%- elif event == 'checkin_published' -%}
(verb_id = {{ xapi_verb('assign') }} and {{ checkin }})
{%- elif event == 'microtest_completed' -%}
(verb_id = {{ xapi_verb('completed') }} and not {{ checkin }})
{%- elif event == 'checkin_done' -%}
(verb_id = {{ xapi_verb('completed') }} and {{ checkin }})
{%- elif event == 'evaluated' -%}
(verb_id like '%/verbs/evaluated')
{%- else -%}
(verb_id = {{ xapi_verb(event) }})
{%- endif -%}
{%- endmacro %}

{#- A statement of any event of the platform's profile but the voiding: what makes a person
    active on a day (a registration, a login, a view, an answer ...). A statement with
    another verb is valid xAPI, kept in bronze and ignored by the marts (the contract), and
    a voiding statement is housekeeping, not use: both counted, a student whose login was
    voided gained an active day by the voiding (the late-deliveries probe). -#}
{% macro xapi_profile_activity() -%}
(verb_id in ({{ xapi_verb('login') }}, {{ xapi_verb('logout') }}, {{ xapi_verb('viewed') }}, {{ xapi_verb('assign') }},
             {{ xapi_verb('answered') }}, {{ xapi_verb('completed') }}, {{ xapi_verb('submit') }},
             {{ xapi_verb('registered') }}, {{ xapi_verb('attended') }})
 or {{ xapi_event('evaluated') }})
{%- endmacro %}

{#- Organisation level of a OneRoster org type: OneRoster calls a city 'local'. -#}
{% macro org_level(type_col) -%}
case lower({{ type_col }})
    when 'school' then 'school'
    when 'district' then 'district'
    when 'local' then 'city'
    when 'city' then 'city'
    else lower({{ type_col }})
end
{%- endmacro %}

{#- Seconds of an ISO 8601 duration (xAPI result.duration: PT1H30M, PT245S, P1DT2H, P1W):
    years, months, weeks, days, hours, minutes and seconds; NULL or unparseable parts count
    0. ISO 8601 leaves a year and a month nominal; time on task and training hours need
    seconds, so a year counts 365 days and a month 30. Weeks, years and months counted 0
    before (a P1W training read 0 hours: the xAPI probe). -#}
{% macro iso8601_seconds(col) -%}
{%- set date_part -%}regexp_extract({{ col }}, '^P[^T]*', 0){%- endset -%}
{%- set time_part -%}regexp_extract({{ col }}, 'T.*$', 0){%- endset -%}
(coalesce(try_cast(nullif(regexp_extract({{ date_part }}, '([0-9.]+)Y', 1), '') as double), 0) * 31536000
 + coalesce(try_cast(nullif(regexp_extract({{ date_part }}, '([0-9.]+)M', 1), '') as double), 0) * 2592000
 + coalesce(try_cast(nullif(regexp_extract({{ date_part }}, '([0-9.]+)W', 1), '') as double), 0) * 604800
 + coalesce(try_cast(nullif(regexp_extract({{ date_part }}, '([0-9.]+)D', 1), '') as double), 0) * 86400
 + coalesce(try_cast(nullif(regexp_extract({{ time_part }}, '([0-9.]+)H', 1), '') as double), 0) * 3600
 + coalesce(try_cast(nullif(regexp_extract({{ time_part }}, '([0-9.]+)M', 1), '') as double), 0) * 60
 + coalesce(try_cast(nullif(regexp_extract({{ time_part }}, '([0-9.]+)S', 1), '') as double), 0))
{%- endmacro %}
