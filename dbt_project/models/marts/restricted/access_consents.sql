-- Consents as landed (latest delivery of each consent_id) with the student's pseudonymous
-- key, for the governed API to withhold the rows of students without a consent valid at
-- request time (covers_from <= now < withdrawn_at, covers); the audit's
-- consent check reads the same staging model at event time.
select
    cast(c.consent_id as string) as consent_id,
    cast(i.student_key as string) as student_key,
    cast(c.student_sourced_id as string) as student_sourced_id,
    cast(c.purpose as string) as purpose,
    cast(c.data_category as string) as data_category,
    cast(c.status as string) as status,
    cast(c.given_at as {{ type_timestamptz() }}) as given_at,
    cast(c.withdrawn_at as {{ type_timestamptz() }}) as withdrawn_at,
    cast(c.covers as boolean) as covers,
    cast(c.covers_from as {{ type_timestamptz() }}) as covers_from
from {{ ref('stg_governance__consents') }} as c
inner join {{ ref('student_identity') }} as i on i.student_sourced_id = c.student_sourced_id
order by consent_id
