{{ partitioned_by_day(['student_sourced_id', 'kp_id', 'local_date'],
    groups={'student_sourced_id': 'actor_sourced_id', 'local_date': 'local_date'}) }}
-- Knowledge-point evidence from micro-tests, per student, knowledge point and local day:
-- every `answered` item counts once for each knowledge point it maps to, with its points
-- (result.score raw / max; an item reporting only result.success counts 1 / 1 or 0 / 1).
-- An item's knowledge points are its own (context.extensions knowledge-points) or, when
-- it names none, those of its micro-test (the parent activity's `assign` statement).
-- Incremental by student-day, like int_microtest_responses_daily: a student-day with a
-- (re)loaded statement is recomputed whole; a voided answer counts 0 (its row stays, so a
-- recomputation replaces the old counts).
with answers as (
    select
        actor_sourced_id as student_sourced_id,
        parent_activity_id as microtest_id,
        knowledge_point_ids,
        local_date,
        month,
        is_voided,
        case
            when result_score_raw is not null and result_score_max > 0 then result_score_raw
            when result_success is not null then case when result_success then 1.0 else 0.0 end
        end as score,
        case
            when result_score_raw is not null and result_score_max > 0 then result_score_max
            when result_success is not null then 1.0
        end as max_score,
        _loaded_at
    from {{ ref('stg_xapi__statements') }}
    where verb_id = {{ xapi_verb('answered') }}
      and actor_sourced_id is not null
      and {{ groups_reloaded_since_last_run(ref('stg_xapi__statements'), ['actor_sourced_id', 'local_date']) }}
),

microtest_kps as (
    -- the knowledge points a micro-test names when it is assigned (any assignment of it)
    select object_id as microtest_id, array_sort(array_distinct(flatten(array_agg(knowledge_point_ids)))) as knowledge_point_ids
    from {{ ref('stg_xapi__statements') }}
    where {{ xapi_event('microtest_assigned') }} and cardinality(knowledge_point_ids) > 0
      and object_id in (select microtest_id from answers)
    group by object_id
),

mapped as (
    select
        a.student_sourced_id, a.local_date, a.month, a.is_voided, a.score, a.max_score, a._loaded_at,
        {{ fn('unnest') }}(case when cardinality(a.knowledge_point_ids) > 0 then a.knowledge_point_ids
                    else coalesce(m.knowledge_point_ids, {{ fn('list_value') }}()) end) as kp_id
    from answers as a
    left join microtest_kps as m on m.microtest_id = a.microtest_id
    where a.max_score is not null
)

select
    student_sourced_id,
    kp_id,
    local_date,
    any_value(month) as month,
    cast(count(*) filter (where not is_voided) as bigint) as items,
    coalesce({{ exact_sum('score', filter='not is_voided') }}, 0) as score,
    coalesce({{ exact_sum('max_score', filter='not is_voided') }}, 0) as max_score,
    max(_loaded_at) as _loaded_at
from mapped
group by student_sourced_id, kp_id, local_date
