{{ partitioned_by_day(['student_sourced_id', 'local_date'],
    groups={'student_sourced_id': 'actor_sourced_id', 'local_date': 'local_date'}) }}
-- Students' work on micro-tests per local day: `answered` statements count against their
-- parent micro-test (context parent), `completed` statements against their object.
-- Incremental by student-day: a student-day with a (re)loaded statement is recomputed whole.
-- Voided statements count 0 (their rows stay, so a recomputation replaces the old counts).
with events as (
    select actor_sourced_id, parent_activity_id as microtest_id, local_date, month,
        case when is_voided then 0 else 1 end as answers, 0 as completions, _loaded_at
    from {{ ref('stg_xapi__statements') }}
    where verb_id = {{ xapi_verb('answered') }} and parent_activity_id is not null
      and {{ groups_reloaded_since_last_run(ref('stg_xapi__statements'), ['actor_sourced_id', 'local_date']) }}
    union all
    select actor_sourced_id, object_id, local_date, month, 0, case when is_voided then 0 else 1 end, _loaded_at
    from {{ ref('stg_xapi__statements') }}
    where {{ xapi_event('microtest_completed') }}
      and {{ groups_reloaded_since_last_run(ref('stg_xapi__statements'), ['actor_sourced_id', 'local_date']) }}
)

select
    actor_sourced_id as student_sourced_id,
    microtest_id,
    local_date,
    any_value(month) as month,
    sum(answers) as answers,
    sum(completions) as completions,
    max(_loaded_at) as _loaded_at
from events
where actor_sourced_id is not null
group by actor_sourced_id, microtest_id, local_date
