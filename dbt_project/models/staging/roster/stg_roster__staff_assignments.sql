-- Roles OneRoster lacks (grade leader, principal, subject researcher, district/city admin),
-- from the x_staff_assignments.csv extension; the latest delivery of each sourcedId wins.
select
    sourcedId as staff_assignment_sourced_id,
    userSourcedId as user_sourced_id,
    lower(role) as role,
    orgSourcedId as org_sourced_id,
    {{ grade_code('grade') }} as grade,
    nullif(trim(subject), '') as subject,
    beginDate as begin_date,
    endDate as end_date,
    _delivery,
    _landed_at
from {{ latest_by_key(bronze_relation('roster', 'staff_assignments'), 'sourcedId', modified_col='_landed_at') }}
