{{ partitioned_by_day(['person_sourced_id', 'local_date']) }}
-- Platform activity per person per local day: logins, resource views, micro-test items
-- answered, micro-tests completed, homework submitted. Incremental: only the person-days
-- with a statement stg_xapi__statements (re)loaded since this model last ran are recomputed.
select
    actor_sourced_id as person_sourced_id,
    local_date,
    any_value(month) as month,
    count(*) filter (where verb_id = {{ xapi_verb('login') }}) as logins,
    count(*) filter (where verb_id = {{ xapi_verb('viewed') }}) as resources_viewed,
    count(*) filter (where verb_id = {{ xapi_verb('answered') }}) as items_answered,
    count(distinct parent_activity_id) filter (where verb_id = {{ xapi_verb('answered') }}) as microtests_answered,
    count(*) filter (where {{ xapi_event('microtest_completed') }}) as microtests_completed,
    count(*) filter (where verb_id = {{ xapi_verb('submit') }}) as homework_submitted,
    count(*) filter (where {{ xapi_event('microtest_assigned') }}) as microtests_assigned,
    count(*) as statements,
    max(_loaded_at) as _loaded_at
from {{ ref('stg_xapi__statements') }}
where actor_sourced_id is not null
  and {{ groups_reloaded_since_last_run(ref('stg_xapi__statements'), ['actor_sourced_id', 'local_date']) }}
group by actor_sourced_id, local_date
