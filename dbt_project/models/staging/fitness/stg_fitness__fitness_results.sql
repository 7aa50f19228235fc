-- Physical-fitness test results, one row per student and test date (the latest delivery
-- of a student's test supersedes an earlier one). Sensitive: minors' health data.
select
    student_sourcedId as student_sourced_id,
    test_date,
    height_cm,
    weight_kg,
    vital_capacity_ml,
    run50m_s,
    sit_reach_cm,
    standing_jump_cm,
    total_score,
    nullif(trim(grade), '') as fitness_grade,
    _delivery,
    _landed_at
from {{ latest_by_key(bronze_relation('fitness', 'fitness_results'), 'student_sourcedId, test_date', modified_col='_landed_at') }}
where student_sourcedId is not null
