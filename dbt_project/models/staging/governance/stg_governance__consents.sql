-- Consents at their latest delivery. A consent covers [given_at, withdrawn_at) when its
-- status lets it (status_covers): given (or left empty), or withdrawn with the time it was
-- withdrawn. Refused, denied, a withdrawal without its time, and any status the contract
-- does not name ('maybe', 'pending') cover nothing: a guardian's consent is never assumed.
-- The one home of the rule: the audit's consent check and the governed API read it.
with consents as (
select
    consent_id,
    student_sourcedId as student_sourced_id,
    guardian_sourcedId as guardian_sourced_id,
    lower(nullif(trim(purpose), '')) as purpose,
    lower(nullif(trim(data_category), '')) as data_category,
    lower(nullif(trim(status), '')) as status,
    given_at,
    withdrawn_at,
    _delivery,
    _landed_at
from {{ latest_by_key(bronze_relation('governance', 'consents'), 'consent_id', modified_col='_landed_at') }}
where consent_id is not null
)

select
    *,
    coalesce(status, 'given') = 'given' or (status = 'withdrawn' and withdrawn_at is not null) as status_covers
from consents
