{{ partitioned_by_day(['person_sourced_id', 'local_date'],
    groups={'person_sourced_id': 'actor_sourced_id', 'local_date': 'local_date'}) }}
-- Platform activity per person per local day: logins, resource views, micro-test items
-- answered, micro-tests completed, homework submitted, and Linze's indicators
-- (registrations, homework / check-ins / evaluations published, check-ins done, training
-- seconds). Incremental: only the person-days
-- with a statement stg_xapi__statements (re)loaded since this model last ran are recomputed.
-- Voided statements count nowhere; a person-day left with none keeps a row of zeros, so
-- a recomputation replaces the old counts (every reader counts a measure > 0).
-- statements: the day's live statements of the platform's profile, what makes the person
-- active (macro xapi_profile_activity): other verbs and the voiding statements are not use.
select
    actor_sourced_id as person_sourced_id,
    local_date,
    any_value(month) as month,
    count(*) filter (where live and verb_id = {{ xapi_verb('login') }}) as logins,
    count(*) filter (where live and verb_id = {{ xapi_verb('viewed') }}) as resources_viewed,
    count(*) filter (where live and verb_id = {{ xapi_verb('answered') }}) as items_answered,
    count(distinct parent_activity_id) filter (where live and verb_id = {{ xapi_verb('answered') }}) as microtests_answered,
    count(*) filter (where live and {{ xapi_event('microtest_completed') }}) as microtests_completed,
    count(*) filter (where live and verb_id = {{ xapi_verb('submit') }}) as homework_submitted,
    count(*) filter (where live and {{ xapi_event('microtest_assigned') }}) as microtests_assigned,
    -- Linze's platform indicators (seed 004): registration, teachers' publications,
    -- students' check-ins, training time (attended, result.duration)
    count(*) filter (where live and {{ xapi_event('registered') }}) as registrations,
    count(*) filter (where live and {{ xapi_event('homework_published') }}) as homework_published,
    count(*) filter (where live and {{ xapi_event('checkin_published') }}) as checkins_published,
    count(*) filter (where live and {{ xapi_event('checkin_done') }}) as checkins_done,
    count(*) filter (where live and {{ xapi_event('evaluated') }}) as evaluations_published,
    coalesce(sum({{ iso8601_seconds('result_duration') }}) filter (where live and {{ xapi_event('attended') }}), 0)
        as training_seconds,
    -- time on task: the result.duration a statement reports (a resource watched, a
    -- micro-test completed ...), training excepted; a statement without one adds nothing
    coalesce(sum({{ iso8601_seconds('result_duration') }}) filter (where live and not {{ xapi_event('attended') }}), 0)
        as time_on_task_seconds,
    count(*) filter (where live and {{ xapi_profile_activity() }}) as statements,
    max(_loaded_at) as _loaded_at
from (select *, not is_voided as live from {{ ref('stg_xapi__statements') }}) as s
where actor_sourced_id is not null
  and {{ groups_reloaded_since_last_run(ref('stg_xapi__statements'), ['actor_sourced_id', 'local_date']) }}
group by actor_sourced_id, local_date
