-- One row per school with its district and city (school -> district -> city through
-- orgs.parentSourcedId; a school directly under a city has no district).
with orgs as (
    select org_sourced_id, org_name, {{ org_level('org_type') }} as org_level, parent_sourced_id
    from {{ ref('stg_roster__orgs') }}
),

schools as (select * from orgs where org_level = 'school'),

parents as (
    select
        s.org_sourced_id as school_sourced_id,
        s.org_name as school_name,
        p.org_sourced_id as parent_id,
        p.org_level as parent_level,
        p.org_name as parent_name,
        g.org_sourced_id as grandparent_id,
        g.org_level as grandparent_level,
        g.org_name as grandparent_name
    from schools as s
    left join orgs as p on p.org_sourced_id = s.parent_sourced_id
    left join orgs as g on g.org_sourced_id = p.parent_sourced_id
)

select
    school_sourced_id,
    school_name,
    case when parent_level = 'district' then parent_id end as district_sourced_id,
    case when parent_level = 'district' then parent_name end as district_name,
    case when parent_level = 'city' then parent_id
         when grandparent_level = 'city' then grandparent_id end as city_sourced_id,
    case when parent_level = 'city' then parent_name
         when grandparent_level = 'city' then grandparent_name end as city_name
from parents
