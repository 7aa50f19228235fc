-- Subject ability (学科能力, A1..C3) per student: score rate over all present item
-- responses whose item carries that ability dimension.
select
    {{ pseudonymize('student_sourced_id') }} as student_key,
    subject,
    ability,
    cast(count(*) as bigint) as items,
    cast(sum(coalesce(score, 0)) / sum(max_score) as double) as score_rate
from {{ ref('int_item_responses') }}
where status = 'present' and max_score > 0 and ability is not null
group by student_sourced_id, subject, ability
{{ stored_in_student_key_order() }}
