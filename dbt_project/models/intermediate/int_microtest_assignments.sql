{{ partitioned_by_day(['microtest_id', 'class_sourced_id', 'local_date'],
    groups={'microtest_id': 'object_id', 'class_sourced_id': 'grouping_class_sourced_id', 'local_date': 'local_date'}) }}
-- Micro-tests assigned by teachers (`assign` statements of a micro-test, not homework or check-ins): one row per micro-test, class
-- (the statement's grouping) and local day. Incremental by that grain: a group with a
-- (re)loaded statement is recomputed whole.
select
    object_id as microtest_id,
    grouping_class_sourced_id as class_sourced_id,
    local_date,
    any_value(month) as month,
    min(actor_sourced_id) as teacher_sourced_id,
    -- Voided assignments count nowhere; a group left with none keeps a row of 0 (readers
    -- take assign_statements > 0), so a recomputation replaces it.
    count(*) filter (where not is_voided) as assign_statements,
    max(_loaded_at) as _loaded_at
from {{ ref('stg_xapi__statements') }}
where {{ xapi_event('microtest_assigned') }}
  and grouping_class_sourced_id is not null
  and {{ groups_reloaded_since_last_run(ref('stg_xapi__statements'), ['object_id', 'grouping_class_sourced_id', 'local_date']) }}
group by object_id, grouping_class_sourced_id, local_date
