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

{#- The typed key columns of a monthly org row (the grain of the usage and platform-use
    tables and their marts): month, org, its type and name, segment, population. The name
    comes from `name_alias` (int_orgs joined as `o` in the intermediate models), else from
    `alias` itself (the marts). -#}
{% macro org_row_keys(alias, name_alias=none) -%}
    cast({{ alias }}.month as string) as month,
    cast({{ alias }}.org_sourced_id as string) as org_sourced_id,
    cast({{ alias }}.org_type as string) as org_type,
    cast({{ name_alias or alias }}.org_name as string) as org_name,
    cast({{ alias }}.segment as string) as segment,
    cast({{ alias }}.population as string) as population
{%- endmacro %}

{#- A ratio of two counts (a rate, logins per online user), 0 where the denominator is 0:
    an org with nobody on the roster publishes 0 %, as the seed's tables do. -#}
{% macro ratio_or_zero(numerator, denominator) -%}
cast(case when {{ denominator }} > 0 then {{ numerator }} / {{ denominator }} else 0 end as double)
{%- endmacro %}
