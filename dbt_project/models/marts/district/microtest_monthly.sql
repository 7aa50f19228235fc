{{ partitioned_by_month() }}
{%- set months = partition_months() %}
-- The published micro-test answer table (微测作答率): int_microtest_monthly with its
-- small cells suppressed in SQL (macro suppress_small_cells; the group is the students a
-- micro-test was assigned to). Lines as in usage_monthly: a district row totals its
-- schools, a city row its districts, within one month and segment. The number of
-- micro-tests assigned counts tests, not people, and stays shown.
with micro as (
    select * from {{ ref('int_microtest_monthly') }}
    where {{ partition_scope('month', months) }}
),

{{ org_rollup_suppression('micro', ['month', 'segment'], 'students_assigned') }}

select
    cast(k.month as string) as month,
    cast(k.org_sourced_id as string) as org_sourced_id,
    cast(k.org_type as string) as org_type,
    cast(k.org_name as string) as org_name,
    cast(k.segment as string) as segment,
    cast(k.microtests_assigned as bigint) as microtests_assigned,
    cast({{ unless_suppressed('k.students_assigned', 's.suppressed') }} as bigint) as students_assigned,
    cast({{ unless_suppressed('k.students_answering', 's.suppressed') }} as bigint) as students_answering,
    cast({{ unless_suppressed('k.answer_rate', 's.suppressed') }} as double) as answer_rate,
    cast({{ unless_suppressed('k.answers', 's.suppressed') }} as bigint) as answers,
    cast(s.suppressed as boolean) as suppressed
from keyed as k
inner join suppression as s on s.cell_id = k.cell_id
order by month, org_type, org_sourced_id, segment
