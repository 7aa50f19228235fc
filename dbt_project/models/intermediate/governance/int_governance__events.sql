-- One row per access event (first occurrence of each event id), with the grant it cites
-- and what that grant says about it. is_access: the event returned data (allowed or
-- masked, and not one of the server's listings); denials are only counted for probing.
-- Appended (macro appended_lines): a run adds the events it has not seen, and rebuilds
-- the table whole when the grants, the resources, the column classifications or the
-- settings changed.
{%- set log_model = 'stg_access__events' %}
{%- set inputs = ['stg_governance__grants', 'governance_resources', 'column_classification', 'governance_settings',
                  'governance_category_purposes'] %}
{{ appended_lines(log_model, inputs) }}
{%- set fingerprint = lines_fingerprint(log_model, inputs) %}

with events as (
    select * from {{ ref('stg_access__events') }} as line
    where occurrence = 1 and event_id is not null and {{ unseen_lines('line') }}
),

grants as (
    select * from {{ ref('stg_governance__grants') }}
),

resources as (
    select * from {{ ref('governance_resources') }}
),

classified as (
    select model_name, column_name, classification from {{ ref('column_classification') }}
),

params as (
    select * from {{ ref('int_governance__audit_params') }}
),

-- the classifications an event read: its resource's category plus its columns'
-- classes, worked out once per distinct (resource, columns) request shape. `*`, or no
-- columns named, is every column of the resource (the grant's `*` means the same): a
-- read of the whole of students_needing_attention reads its psych flag.
shapes as (
    select distinct resource, columns from events
),

shape_columns as (
    select resource, columns, {{ fn('unnest') }}(columns) as column_name from shapes
    where cardinality(columns) > 0
    union all
    select resource, columns, '*' as column_name from shapes
    where columns is null or cardinality(columns) = 0
),

shape_classes as (
    select s.resource, s.columns, array_agg(distinct c.classification) as column_classes
    from shape_columns as s
    inner join classified as c
        on c.model_name = s.resource and (c.column_name = s.column_name or s.column_name = '*')
    group by s.resource, s.columns
),

shape_reads as (
    select
        s.resource,
        s.columns,
        array_sort(array_distinct(concat(coalesce(sc.column_classes, {{ fn('list_value') }}()),
            case when r.category is null then {{ fn('list_value') }}() else {{ fn('list_value') }}(r.category) end))) as classes_read
    from shapes as s
    left join shape_classes as sc
        on sc.resource is not distinct from s.resource and sc.columns is not distinct from s.columns
    left join resources as r on r.resource = s.resource
),

-- the classes an event read that its declared purpose (or its lack of one) may not read (the policy's
-- category_purposes: psych screening for pastoral care), per (resource, columns, purpose)
restricted as (
    select category, array_agg(purpose) as purposes from {{ ref('governance_category_purposes') }} group by category
),

read_classes as (
    select resource, columns, {{ fn('unnest') }}(classes_read) as class_read from shape_reads
),

unfit_shapes as (
    select ps.resource, ps.columns, ps.purpose, array_sort(array_agg(distinct rc.class_read)) as classes_unfit
    from (select distinct resource, columns, purpose from events) as ps
    inner join read_classes as rc
        on rc.resource is not distinct from ps.resource and rc.columns is not distinct from ps.columns
    inner join restricted as r on r.category = rc.class_read
    -- no purpose is none of the allowed ones (the governance probe: it passed psych reads)
    where not coalesce(array_contains(r.purposes, ps.purpose), false)
    group by ps.resource, ps.columns, ps.purpose
)

select
    e.event_id,
    e.seq,
    e.event_time,
    e.local_date,
    e.principal_id,
    coalesce(e.role, g.role) as role,
    e.client_app,
    e.action,
    e.resource,
    e.purpose,
    e.decision,
    e.grant_id,
    e.rows_returned,
    e.subject_ids,
    -- eduhouse serve's listings (action list on catalog or role_report, no subjects) name
    -- what a principal may open and return no rows: logged, checked for integrity and
    -- probing, but not a read of data that needs a grant
    e.decision in ('allowed', 'masked')
        and not (e.action = 'list' and e.resource in ('catalog', 'role_report')
                 and coalesce(cardinality(e.subject_ids), 0) = 0) as is_access,
    g.grant_id is not null as grant_found,
    g.principal_id as grant_principal_id,
    g.role as grant_role,
    g.resource as grant_resource,
    array_contains(g.actions, e.action) as action_granted,
    array_contains(g.purposes, e.purpose) as purpose_granted,
    g.sensitive as grant_sensitive,
    g.valid_from as grant_valid_from,
    g.valid_to as grant_valid_to,
    g.revoked_at as grant_revoked_at,
    sr.classes_read,
    cardinality(array_intersect(sr.classes_read, p.sensitive_classifications)) > 0 as reads_sensitive,
    us.classes_unfit as classes_unfit_for_purpose,
    e._delivery,
    e._position,
    '{{ fingerprint }}' as _inputs_fingerprint
from events as e
left join grants as g on g.grant_id = e.grant_id
left join shape_reads as sr
    on sr.resource is not distinct from e.resource and sr.columns is not distinct from e.columns
left join unfit_shapes as us
    on us.resource is not distinct from e.resource and us.columns is not distinct from e.columns
   and us.purpose is not distinct from e.purpose
cross join params as p
