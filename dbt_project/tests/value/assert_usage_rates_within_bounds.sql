-- Rates are fractions 0..1 and counts are consistent: online and resource_viewers never
-- exceed on_roster, logins never fall below online. Returns the offending rows.
select *
from {{ ref('usage_monthly') }}
where online_rate not between 0 and 1
   or resource_view_rate not between 0 and 1
   or online > on_roster
   or resource_viewers > on_roster
   or logins < online
   or (on_roster <= 0 and not suppressed)
   or logins_per_online < 0
