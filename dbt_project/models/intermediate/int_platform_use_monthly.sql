{{ partitioned_by_month() }}
{%- set months = partition_months() %}
-- Linze's platform-use indicators (seed 004) per org (school, district, city) x segment x
-- population x month, on the same roster rows as int_usage_monthly: registered (a
-- registration, or any use, on or before the month's last day: nobody uses the platform
-- unregistered, and deliveries may start after a user registered), UV (people with any
-- statement of the platform's profile in the month), PV (resource and page views), homework, check-ins and student
-- evaluations published (voided ones excluded), check-ins done, and training hours from
-- `result.duration` of attended statements. District and city rows count distinct people.
-- Unsuppressed: the public mart platform_use_monthly hides its small cells.
-- depends_on: {{ ref('int_roster_monthly') }}
with {{ org_roster_people(months) }},

-- first day a person registered or used the platform (the table holds one row per
-- person-day with a statement, so this is a scan of the active days, not of raw logs)
first_seen as (
    select person_sourced_id, min(local_date) as first_day
    from {{ ref('int_activity_daily') }}
    where registrations > 0 or statements > 0
    group by person_sourced_id
),

activity as (
    select
        person_sourced_id,
        month,
        sum(statements) as statements,
        sum(resources_viewed) as page_views,
        sum(homework_published) as homework_published,
        sum(checkins_published) as checkins_published,
        sum(checkins_done) as checkins_done,
        sum(evaluations_published) as evaluations_published,
        sum(training_seconds) as training_seconds
    from {{ ref('int_activity_daily') }}
    where {{ partition_scope('month', months) }}
    group by person_sourced_id, month
),

counted as (
    select
        p.month,
        p.org_sourced_id,
        p.org_type,
        p.segment,
        p.population,
        count(*) as on_roster,
        count(*) filter (where f.first_day <= last_day(cast(p.month || '-01' as date))) as registered,
        count(*) filter (where a.statements > 0) as active_users,
        coalesce(sum(a.page_views), 0) as page_views,
        coalesce(sum(a.homework_published), 0) as homework_published,
        coalesce(sum(a.checkins_published), 0) as checkins_published,
        coalesce(sum(a.checkins_done), 0) as checkins_done,
        coalesce(sum(a.evaluations_published), 0) as evaluations_published,
        coalesce(sum(a.training_seconds), 0) / 3600.0 as training_hours
    from org_people as p
    left join first_seen as f on f.person_sourced_id = p.person_sourced_id
    left join activity as a on a.person_sourced_id = p.person_sourced_id and a.month = p.month
    group by p.month, p.org_sourced_id, p.org_type, p.segment, p.population
)

select
    {{ org_row_keys('c', 'o') }},
    cast(c.on_roster as bigint) as on_roster,
    cast(c.registered as bigint) as registered,
    {{ ratio_or_zero('c.registered', 'c.on_roster') }} as registration_rate,
    cast(c.active_users as bigint) as active_users,
    {{ ratio_or_zero('c.active_users', 'c.on_roster') }} as active_rate,
    cast(c.page_views as bigint) as page_views,
    cast(c.homework_published as bigint) as homework_published,
    cast(c.checkins_published as bigint) as checkins_published,
    cast(c.checkins_done as bigint) as checkins_done,
    cast(c.evaluations_published as bigint) as evaluations_published,
    cast(c.training_hours as double) as training_hours
from counted as c
left join {{ ref('int_orgs') }} as o on o.org_sourced_id = c.org_sourced_id
order by month, org_type, org_sourced_id, segment, population
