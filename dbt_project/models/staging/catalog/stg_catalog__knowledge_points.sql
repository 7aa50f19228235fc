-- The knowledge-point catalogue (知识图谱 nodes), one row per kp_id, latest delivery wins.
select
    kp_id,
    lower(trim(subject)) as subject,
    {{ grade_code('grade') }} as grade,
    nullif(trim(name), '') as kp_name,
    nullif(trim(parent_kp_id), '') as parent_kp_id,
    _delivery,
    _landed_at
from {{ latest_by_key(bronze_relation('catalog', 'knowledge_points'), 'kp_id', modified_col='_landed_at') }}
where kp_id is not null
