{{ partitioned_by_exam() }}
{%- set exams = partition_exams() %}
-- Per class x exam (班级考试成绩): the class's present students in one exam, their mean
-- score, mean score rate, mean z and score-rate distribution (macro exam_score_bands).
-- A homeroom (行政班) has a row for every exam its students sat, a scheduled class
-- (教学班) for the exams of its own subject. The teacher's and head teacher's pages and
-- the school's class comparison read it; they compute no figure of their own.
-- Suppressed with quality_map's school rows in int_exam_suppression: a small class is
-- hidden, and so is a second homeroom of its school where the school's row would give
-- it away. Partitioned by exam, like the exam's other marts.
select
    r.scope_id as class_sourced_id,
    r.class_type,
    c.class_title,
    r.school_sourced_id,
    r.exam_id,
    r.exam_date,
    r.subject,
    r.grade,
    r.academic_session,
    {%- for measure in ['students', 'band_lt60', 'band_60_70', 'band_70_80', 'band_80_90', 'band_ge90'] %}
    cast({{ unless_suppressed('r.' ~ measure, 's.suppressed') }} as bigint) as {{ measure }},
    {%- endfor %}
    {%- for measure in ['mean_score', 'mean_score_rate', 'mean_z'] %}
    cast({{ unless_suppressed('r.' ~ measure, 's.suppressed') }} as double) as {{ measure }},
    {%- endfor %}
    cast(s.suppressed as boolean) as suppressed
from {{ ref('int_exam_scope_results') }} as r
inner join {{ ref('int_exam_suppression') }} as s
    on s.cell_id = {{ exam_cell_id('r.scope_type', 'r.scope_id', 'r.class_type', 'r.exam_id') }}
left join {{ ref('stg_roster__classes') }} as c on c.class_sourced_id = r.scope_id
where r.scope_type = 'class' and {{ partition_scope('r.exam_id', exams) }}
