-- Integrity test: each finding names a check of the policy's catalogue and carries its
-- severity and how-to-fix line. Fix: add the check to role_policy.yaml `checks`.
select finding_id, {{ adapter.quote('check') }}
from {{ ref('access_audit_findings') }}
where severity is null or how_to_fix is null
   or {{ adapter.quote('check') }} not in (select check_name from {{ ref('governance_checks') }})
