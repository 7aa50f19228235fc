-- One row per grain in the usage and micro-test marts. Returns duplicated keys.
select 'usage_monthly' as mart, month, org_sourced_id, segment, population, count(*) as n_rows
from {{ ref('usage_monthly') }}
group by all
having count(*) > 1
union all
select 'microtest_monthly', month, org_sourced_id, segment, null, count(*)
from {{ ref('microtest_monthly') }}
group by all
having count(*) > 1
