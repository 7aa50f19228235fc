-- Config test: every report role (and downstream_app) has a template in the role policy,
-- so the audit never falls back to "role has no template" for a known role.
-- Fix: add the role to orchestration/governance/role_policy.yaml and regenerate the seeds.
select role
from (values ('student'), ('parent'), ('teacher'), ('head_teacher'), ('grade_leader'), ('principal'),
             ('subject_researcher'), ('district_admin'), ('city_admin'), ('downstream_app')) as r(role)
where role not in (select role from {{ ref('governance_role_templates') }})
