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
} -%}
'{{ verbs[event] }}'
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
