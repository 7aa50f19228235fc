-- Exports or reads, from a minimum size, that returned more students than the principal's
-- whole scope holds, or far more rows than the principal's own usual (factor x their median).
-- Students, not rows, are set against the scope: a mart with many rows per student
-- (student_exam: one per exam) read for the principal's own school returns more rows than
-- the school holds students, and is the principal's job. An access names the students
-- whose rows it returned (subject_ids; none for an aggregate).
with params as (
    select * from {{ ref('int_governance__audit_params') }}
),

events as (
    select * from {{ ref('int_governance__events') }}
    where is_access and principal_id is not null and rows_returned is not null
),

baseline as (
    select principal_id, median(rows_returned) as median_rows
    from events group by principal_id
),

-- students in each principal's roster scope at the audit date
scope_size as (
    select p.principal_id, count(distinct s.student_id) as students
    from {{ ref('int_governance__principal_keys') }} as p
    cross join params as a
    inner join {{ ref('int_governance__student_keys') }} as s
        on s.key_type = p.key_type and s.key_value = p.key_value
        and a.audit_date between s.effective_from and s.effective_to
    where a.audit_date between p.effective_from and p.effective_to
    group by p.principal_id
),

flagged as (
    select e.*, b.median_rows, z.students as scope_students,
        coalesce(cardinality(array_distinct(e.subject_ids)), 0) as students_returned
    from events as e
    cross join params as a
    left join baseline as b on b.principal_id = e.principal_id
    left join scope_size as z on z.principal_id = e.principal_id
    where e.rows_returned >= a.bulk_min_rows
      and (coalesce(cardinality(array_distinct(e.subject_ids)), 0) > coalesce(z.students, 0)
           or e.rows_returned > a.bulk_baseline_factor * b.median_rows)
)

select
    'bulk_export' as check_name,
    principal_id,
    grant_id,
    {{ ordered_list('event_id', 'event_time, event_id') }} as event_ids,
    count(*) || ' ' || {{ distinct_text('action', '/') }} || '(s) of up to ' || max(rows_returned)
        || ' rows and ' || max(students_returned) || ' students (scope: '
        || coalesce(cast(max(scope_students) as string), 'no') || ' students; usual: '
        || cast(max(median_rows) as string) || ' rows)' as evidence,
    min(event_time) as first_seen,
    max(event_time) as last_seen
from flagged
group by principal_id, grant_id
