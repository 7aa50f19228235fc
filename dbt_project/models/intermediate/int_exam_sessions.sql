-- The academic sessions (terms) exams are held in, with their start and end dates from
-- the roster (matched on sourcedId, else on title). Activity and fitness are counted
-- within these dates. Sessions the roster lacks keep NULL dates.
with exam_sessions as (
    select distinct academic_session
    from {{ ref('stg_exams__exams') }}
    where academic_session is not null
),

roster_sessions as (
    select session_sourced_id, session_title, start_date, end_date
    from {{ ref('stg_roster__academic_sessions') }}
)

select
    e.academic_session,
    coalesce(by_id.start_date, by_title.start_date) as start_date,
    coalesce(by_id.end_date, by_title.end_date) as end_date,
    coalesce(by_id.session_title, by_title.session_title) as session_title
from exam_sessions as e
left join roster_sessions as by_id on by_id.session_sourced_id = e.academic_session
left join (
    select session_title, min(start_date) as start_date, max(end_date) as end_date
    from roster_sessions
    group by session_title
) as by_title on by_title.session_title = e.academic_session
