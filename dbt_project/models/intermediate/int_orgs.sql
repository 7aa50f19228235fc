-- Every organisation with its level (school, district, city), for naming mart rows.
select
    org_sourced_id,
    org_name,
    {{ org_level('org_type') }} as org_type,
    parent_sourced_id
from {{ ref('stg_roster__orgs') }}
