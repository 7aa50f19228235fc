-- Data read for a purpose its category does not serve (the policy's category_purposes):
-- a head teacher's read of psych screening declared for teaching, say. Whatever the grant
-- lists: a grant can name a purpose, the data's category bounds it. An event without a
-- purpose declares none of them: found here too, beside log_missing_fields.
select
    'purpose_not_allowed' as check_name,
    principal_id,
    grant_id,
    {{ ordered_list('event_id', 'event_time, event_id') }} as event_ids,
    count(*) || ' read(s) of ' || {{ fn('array_to_string') }}(array_sort(array_distinct(flatten(array_agg(classes_unfit_for_purpose)))), ', ')
        || ' data from ' || {{ distinct_text('resource', ', ') }} || ' for '
        || {{ distinct_text("coalesce(purpose, 'no purpose')", ', ') }}
        as evidence,
    min(event_time) as first_seen,
    max(event_time) as last_seen
from {{ ref('int_governance__events') }}
where is_access and classes_unfit_for_purpose is not null
group by principal_id, grant_id
