{#- The month's roster of every org level, for the monthly usage tables (int_usage_monthly,
    int_platform_use_monthly): CTEs `roster` (int_roster_monthly in the requested months)
    and `org_people` (month, org_type, org_sourced_id, segment, population,
    person_sourced_id), a person counted once in their school, district and city, so the
    rollups count distinct people and never add rates. Written after WITH. -#}
{% macro org_roster_people(months) -%}
roster as (
    select * from {{ ref('int_roster_monthly') }}
    where {{ partition_scope('month', months) }}
),

org_people as (
    select month, 'school' as org_type, school_sourced_id as org_sourced_id, segment, population, person_sourced_id
    from roster where school_sourced_id is not null
    union
    select month, 'district', district_sourced_id, segment, population, person_sourced_id
    from roster where district_sourced_id is not null
    union
    select month, 'city', city_sourced_id, segment, population, person_sourced_id
    from roster where city_sourced_id is not null
)
{%- endmacro %}
