-- Schools with their district and city (names and ids): how reports and the audit roll a
-- school up. No personal data, but kept beside staff_scope which uses it.
select
    cast(school_sourced_id as string) as school_sourced_id,
    cast(school_name as string) as school_name,
    cast(district_sourced_id as string) as district_sourced_id,
    cast(district_name as string) as district_name,
    cast(city_sourced_id as string) as city_sourced_id,
    cast(city_name as string) as city_name
from {{ ref('int_org_hierarchy') }}
order by school_sourced_id
