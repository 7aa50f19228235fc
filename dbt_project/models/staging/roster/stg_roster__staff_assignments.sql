-- Roles OneRoster lacks (grade leader, principal, subject researcher, district/city admin),
-- from the x_staff_assignments.csv extension. Its rows carry no dateLastModified, so a
-- version takes its delivery's record time (the newest dateLastModified of the delivery's
-- OneRoster files; its landing when it has none): an old bulk landed late no longer
-- reopens an assignment a newer delivery ended (the roster probe: a grade leader who had
-- left got the scope back, and the audit lost the evidence of what they read after).
-- The manifest's file.x_staff_assignments = bulk means the whole set, as for OneRoster's
-- files: an assignment a newer bulk no longer holds has ended the day before that bulk
-- (docs/inputs.md); it kept its scope for ever.
with delivery_times as (
    select _delivery, max(dateLastModified) as modified
    from (
        select _delivery, dateLastModified from {{ bronze_relation('roster', 'users') }}
        union all
        select _delivery, dateLastModified from {{ bronze_relation('roster', 'enrollments') }}
        union all
        select _delivery, dateLastModified from {{ bronze_relation('roster', 'classes') }}
        union all
        select _delivery, dateLastModified from {{ bronze_relation('roster', 'orgs') }}
    ) as dated
    group by _delivery
),

versions as (
    select s.*, coalesce(t.modified, s._landed_at) as _version_time
    from {{ bronze_relation('roster', 'staff_assignments') }} as s
    left join delivery_times as t on t._delivery = s._delivery
),

latest as (
    select * from versions
    qualify row_number() over (
        partition by sourcedId order by _version_time desc, _landed_at desc, _delivery desc, _position desc) = 1
),

bulks as (
    select v._delivery, max(v._version_time) as bulk_time
    from versions as v
    inner join (
        select distinct _delivery from {{ bronze_relation('roster', 'manifest') }}
        where lower(trim(propertyName)) = 'file.x_staff_assignments' and lower(trim(value)) = 'bulk'
    ) as m on m._delivery = v._delivery
    group by v._delivery
),

-- every bulk after an assignment's latest version lacks it (one that held it would hold
-- the latest version): the first of them ended it
ended as (
    select l.sourcedId, min(b.bulk_time) as ended_at
    from latest as l
    inner join bulks as b on b.bulk_time > l._version_time and b._delivery <> l._delivery
    group by l.sourcedId
)

select
    l.sourcedId as staff_assignment_sourced_id,
    l.userSourcedId as user_sourced_id,
    lower(l.role) as role,
    l.orgSourcedId as org_sourced_id,
    {{ grade_code('l.grade') }} as grade,
    nullif(trim(l.subject), '') as subject,
    l.beginDate as begin_date,
    case when e.ended_at is null then l.endDate
         else least(coalesce(l.endDate, {{ local_date('e.ended_at') }} - 1), {{ local_date('e.ended_at') }} - 1)
    end as end_date,
    l._delivery,
    l._landed_at
from latest as l
left join ended as e on e.sourcedId = l.sourcedId
