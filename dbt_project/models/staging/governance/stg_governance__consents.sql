-- Consents at their latest delivery. A consent covers [given_at, withdrawn_at); status
-- 'refused' never covers anything.
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
