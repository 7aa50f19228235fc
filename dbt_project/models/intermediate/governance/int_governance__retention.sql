-- Retention period (days) per data category, from the policy.
select
    replace(name, 'retention_days.', '') as data_category,
    cast(value as integer) as retention_days
from {{ ref('governance_settings') }}
where name like 'retention_days.%'
