-- The academic sessions the marts' academic_session keys name, with their titles
-- (2021-2022学年第一学期): reports show the title, never the key. No personal data.
select
    cast(session_sourced_id as string) as academic_session,
    cast(session_title as string) as title,
    cast(session_type as string) as session_type,
    cast(start_date as date) as start_date,
    cast(end_date as date) as end_date,
    cast(school_year as string) as school_year
from {{ ref('stg_roster__academic_sessions') }}
order by start_date, academic_session
