{%- set flags = var('school_flags') %}
-- Lagging schools (应用薄弱校) and model schools (应用样板校) per month, and the follow-up of
-- each flagged school in the months after (跟进方案的落实情况及实施效果), Linze's governance
-- loop (seed 004). The seed targets "平台使用频率低和参训时长短的薄弱学校" for support and makes
-- "平台使用频率高和参训时长多的学校" the models; so two indicators, each against the district:
--   use_rate: active users (UV) / people on the roster, teachers and students together;
--   training_hours_per_teacher: training hours / teachers on the roster.
-- lagging: both below var school_flags.lagging_ratio x the district's; model: both at
-- least var school_flags.model_ratio x the district's. Everything is computed from the
-- published (suppressed) platform_use_monthly rows, so a flag never rests on a hidden
-- figure: a school or district with a suppressed row is 'not_assessed'. A school is
-- followed up in every month after one where it lagged; it has recovered when it no
-- longer lags.
with published as (
    select * from {{ ref('platform_use_monthly') }}
),

schools as (
    select
        p.month,
        p.org_sourced_id as school_sourced_id,
        any_value(p.org_name) as school_name,
        h.district_sourced_id,
        bool_or(p.suppressed) as hidden,
        sum(p.active_users) as active_users,
        sum(p.on_roster) as on_roster,
        sum(p.training_hours) filter (where p.population = 'teacher') as training_hours,
        sum(p.on_roster) filter (where p.population = 'teacher') as teachers,
        sum(p.registered) as registered
    from published as p
    inner join {{ ref('int_org_hierarchy') }} as h on h.school_sourced_id = p.org_sourced_id
    where p.org_type = 'school'
    group by p.month, p.org_sourced_id, h.district_sourced_id
),

districts as (
    select
        month,
        org_sourced_id as district_sourced_id,
        bool_or(suppressed) as hidden,
        sum(active_users) / nullif(sum(on_roster), 0) as use_rate,
        sum(training_hours) filter (where population = 'teacher')
            / nullif(sum(on_roster) filter (where population = 'teacher'), 0) as training_hours_per_teacher
    from published
    where org_type = 'district'
    group by month, org_sourced_id
),

indicators as (
    select
        s.month,
        s.school_sourced_id,
        s.school_name,
        s.district_sourced_id,
        s.hidden or coalesce(d.hidden, true) as not_assessed,
        s.active_users / nullif(s.on_roster, 0) as use_rate,
        d.use_rate as district_use_rate,
        s.training_hours / nullif(s.teachers, 0) as training_hours_per_teacher,
        d.training_hours_per_teacher as district_training_hours_per_teacher,
        s.registered / nullif(s.on_roster, 0) as registration_rate
    from schools as s
    left join districts as d on d.month = s.month and d.district_sourced_id = s.district_sourced_id
),

flagged as (
    select
        *,
        case
            when not_assessed or use_rate is null or training_hours_per_teacher is null then 'not_assessed'
            when use_rate < {{ flags['lagging_ratio'] }} * district_use_rate
             and training_hours_per_teacher < {{ flags['lagging_ratio'] }} * district_training_hours_per_teacher
                then 'lagging'
            when use_rate >= {{ flags['model_ratio'] }} * district_use_rate
             and training_hours_per_teacher >= {{ flags['model_ratio'] }} * district_training_hours_per_teacher
                then 'model'
            else 'none'
        end as flag
    from indicators
),

followed as (
    select
        f.*,
        max(case when f.flag = 'lagging' then f.month end) over (
            partition by f.school_sourced_id order by f.month rows between unbounded preceding and 1 preceding
        ) as last_lagging_month
    from flagged as f
)

select
    cast(f.month as string) as month,
    cast(f.school_sourced_id as string) as school_sourced_id,
    cast(f.school_name as string) as school_name,
    cast(f.district_sourced_id as string) as district_sourced_id,
    cast(f.flag as string) as flag,
    cast(case f.flag
        when 'lagging' then {{ fn('list_value') }}('use_rate', 'training_hours_per_teacher')
        when 'model' then {{ fn('list_value') }}('use_rate', 'training_hours_per_teacher')
        else {{ fn('list_value') }}()
    end as {{ type_string_list() }}) as triggered_by,
    cast({{ unless_suppressed('f.use_rate', 'f.not_assessed') }} as double) as use_rate,
    cast({{ unless_suppressed('f.district_use_rate', 'f.not_assessed') }} as double) as district_use_rate,
    cast({{ unless_suppressed('f.training_hours_per_teacher', 'f.not_assessed') }} as double) as training_hours_per_teacher,
    cast({{ unless_suppressed('f.district_training_hours_per_teacher', 'f.not_assessed') }} as double)
        as district_training_hours_per_teacher,
    cast({{ unless_suppressed('f.registration_rate', 'f.not_assessed') }} as double) as registration_rate,
    cast(f.last_lagging_month as string) as last_lagging_month,
    cast(f.last_lagging_month is not null as boolean) as followed_up,
    cast(case when f.last_lagging_month is not null and f.flag in ('none', 'model') then true
              when f.last_lagging_month is not null and f.flag = 'lagging' then false end as boolean) as recovered,
    cast({{ unless_suppressed('f.use_rate - l.use_rate', 'f.not_assessed or l.not_assessed') }} as double)
        as use_rate_change_since_flag
from followed as f
left join flagged as l on l.school_sourced_id = f.school_sourced_id and l.month = f.last_lagging_month
