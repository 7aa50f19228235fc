-- District and city rows count distinct people across their schools: a rollup's
-- on_roster / online lie between the largest school's and the sum of the schools'.
-- (A sum of rates or a double count would break this.) Returns offending rollups.
with schools as (
    select u.*, h.district_sourced_id, h.city_sourced_id
    from {{ ref('int_usage_monthly') }} as u
    inner join {{ ref('int_org_hierarchy') }} as h on h.school_sourced_id = u.org_sourced_id
    where u.org_type = 'school'
),

bounds as (
    select month, district_sourced_id as org_sourced_id, segment, population,
        sum(on_roster) as sum_roster, max(on_roster) as max_roster, sum(online) as sum_online, max(online) as max_online
    from schools where district_sourced_id is not null
    group by all
    union all
    select month, city_sourced_id, segment, population,
        sum(on_roster), max(on_roster), sum(online), max(online)
    from schools where city_sourced_id is not null
    group by all
)

select r.*, b.sum_roster, b.max_roster, b.sum_online, b.max_online
from {{ ref('int_usage_monthly') }} as r
inner join bounds as b using (month, org_sourced_id, segment, population)
where r.org_type in ('district', 'city')
  and (r.on_roster not between b.max_roster and b.sum_roster
       or r.online not between b.max_online and b.sum_online)
