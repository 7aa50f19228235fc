-- Subject ability (学科能力, A1..C3) per student: score rate over all present item
-- responses whose item carries that ability dimension.
with abilities as (
    select
        student_sourced_id,
        subject,
        ability,
        cast(count(*) as bigint) as items,
        {{ exact_sum('coalesce(score, 0)') }} / {{ exact_sum('max_score') }} as score_rate
    from {{ ref('int_item_responses') }}
    where status = 'present' and max_score > 0 and ability is not null
    group by student_sourced_id, subject, ability
),

-- one key per student (macro keyed_students), not one HMAC per row
student_keys as (
    {{ keyed_students('abilities') }}
)

select
    k.student_key,
    a.subject,
    a.ability,
    a.items,
    a.score_rate
from abilities as a
left join student_keys as k on k.student_sourced_id = a.student_sourced_id
{{ stored_in_student_key_order('k.key_order') }}
