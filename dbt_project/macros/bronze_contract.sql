{#- The bronze table contracts of docs/interfaces.md as (column, DuckDB type) lists.
    bronze_relation() uses them to give every staging model a stable, typed shape even
    when a delivery lacks a column or a source has not been delivered at all. -#}
{% macro bronze_lineage_columns() -%}
    {{ return([('_delivery', 'VARCHAR'), ('_file', 'VARCHAR'), ('_position', 'BIGINT'), ('_landed_at', 'TIMESTAMPTZ')]) }}
{%- endmacro %}

{% macro bronze_columns(source_name, table_name) -%}
{%- set oneroster = [('sourcedId', 'VARCHAR'), ('status', 'VARCHAR'), ('dateLastModified', 'TIMESTAMPTZ')] -%}
{%- set contracts = {
  'roster': {
    'manifest': [('propertyName', 'VARCHAR'), ('value', 'VARCHAR')],
    'orgs': oneroster + [('name', 'VARCHAR'), ('type', 'VARCHAR'), ('identifier', 'VARCHAR'), ('parentSourcedId', 'VARCHAR')],
    'academic_sessions': oneroster + [('title', 'VARCHAR'), ('type', 'VARCHAR'), ('startDate', 'DATE'), ('endDate', 'DATE'), ('parentSourcedId', 'VARCHAR'), ('schoolYear', 'VARCHAR')],
    'courses': oneroster + [('schoolYearSourcedId', 'VARCHAR'), ('title', 'VARCHAR'), ('courseCode', 'VARCHAR'), ('grades', 'VARCHAR[]'), ('orgSourcedId', 'VARCHAR'), ('subjects', 'VARCHAR[]'), ('subjectCodes', 'VARCHAR[]')],
    'classes': oneroster + [('title', 'VARCHAR'), ('grades', 'VARCHAR[]'), ('courseSourcedId', 'VARCHAR'), ('classCode', 'VARCHAR'), ('classType', 'VARCHAR'), ('location', 'VARCHAR'), ('schoolSourcedId', 'VARCHAR'), ('termSourcedIds', 'VARCHAR[]'), ('subjects', 'VARCHAR[]'), ('subjectCodes', 'VARCHAR[]'), ('periods', 'VARCHAR[]')],
    'users': oneroster + [('enabledUser', 'BOOLEAN'), ('orgSourcedIds', 'VARCHAR[]'), ('role', 'VARCHAR'), ('username', 'VARCHAR'), ('userIds', 'VARCHAR[]'), ('givenName', 'VARCHAR'), ('familyName', 'VARCHAR'), ('middleName', 'VARCHAR'), ('identifier', 'VARCHAR'), ('email', 'VARCHAR'), ('sms', 'VARCHAR'), ('phone', 'VARCHAR'), ('agentSourcedIds', 'VARCHAR[]'), ('grades', 'VARCHAR[]')],
    'enrollments': oneroster + [('classSourcedId', 'VARCHAR'), ('schoolSourcedId', 'VARCHAR'), ('userSourcedId', 'VARCHAR'), ('role', 'VARCHAR'), ('primary', 'BOOLEAN'), ('beginDate', 'DATE'), ('endDate', 'DATE')],
    'demographics': oneroster + [('birthDate', 'DATE'), ('sex', 'VARCHAR')],
    'staff_assignments': [('sourcedId', 'VARCHAR'), ('userSourcedId', 'VARCHAR'), ('role', 'VARCHAR'), ('orgSourcedId', 'VARCHAR'), ('grade', 'VARCHAR'), ('subject', 'VARCHAR'), ('beginDate', 'DATE'), ('endDate', 'DATE')],
  },
  'xapi': {
    'statements': [('statement_id', 'VARCHAR'), ('actor_name', 'VARCHAR'), ('actor_home_page', 'VARCHAR'), ('verb_id', 'VARCHAR'), ('object_id', 'VARCHAR'), ('object_type', 'VARCHAR'), ('object_definition_type', 'VARCHAR'), ('result_success', 'BOOLEAN'), ('result_completion', 'BOOLEAN'), ('result_score_raw', 'DOUBLE'), ('result_score_min', 'DOUBLE'), ('result_score_max', 'DOUBLE'), ('result_score_scaled', 'DOUBLE'), ('result_duration', 'VARCHAR'), ('context_registration', 'VARCHAR'), ('context_parent_ids', 'VARCHAR[]'), ('context_grouping_ids', 'VARCHAR[]'), ('knowledge_point_ids', 'VARCHAR[]'), ('ts', 'TIMESTAMPTZ'), ('ts_raw', 'VARCHAR'), ('stored_raw', 'VARCHAR'), ('version', 'VARCHAR'), ('local_date', 'DATE')],
  },
  'exams': {
    'exams': [('exam_id', 'VARCHAR'), ('name', 'VARCHAR'), ('kind', 'VARCHAR'), ('academic_session', 'VARCHAR'), ('grade', 'VARCHAR'), ('subject', 'VARCHAR'), ('exam_date', 'DATE'), ('org_sourcedId', 'VARCHAR'), ('sitting_id', 'VARCHAR')],
    'exam_items': [('exam_id', 'VARCHAR'), ('item_id', 'VARCHAR'), ('max_score', 'DOUBLE'), ('knowledge_point_ids', 'VARCHAR[]'), ('ability', 'VARCHAR')],
    'exam_scores': [('exam_id', 'VARCHAR'), ('student_sourcedId', 'VARCHAR'), ('item_id', 'VARCHAR'), ('score', 'DOUBLE'), ('status', 'VARCHAR')],
  },
  'catalog': {
    'knowledge_points': [('kp_id', 'VARCHAR'), ('subject', 'VARCHAR'), ('grade', 'VARCHAR'), ('name', 'VARCHAR'), ('parent_kp_id', 'VARCHAR')],
  },
  'fitness': {
    'fitness_results': [('student_sourcedId', 'VARCHAR'), ('test_date', 'DATE'), ('height_cm', 'DOUBLE'), ('weight_kg', 'DOUBLE'), ('vital_capacity_ml', 'DOUBLE'), ('run50m_s', 'DOUBLE'), ('sit_reach_cm', 'DOUBLE'), ('standing_jump_cm', 'DOUBLE'), ('total_score', 'DOUBLE'), ('grade', 'VARCHAR')],
  },
  'psych': {
    'psych_screenings': [('student_sourcedId', 'VARCHAR'), ('screen_date', 'DATE'), ('instrument', 'VARCHAR'), ('scale', 'VARCHAR'), ('score', 'DOUBLE'), ('risk_level', 'VARCHAR')],
  },
  'governance': {
    'grants': [('grant_id', 'VARCHAR'), ('principal_id', 'VARCHAR'), ('principal_type', 'VARCHAR'), ('role', 'VARCHAR'), ('scope_type', 'VARCHAR'), ('scope_ids', 'VARCHAR[]'), ('resource', 'VARCHAR'), ('columns', 'VARCHAR[]'), ('actions', 'VARCHAR[]'), ('purposes', 'VARCHAR[]'), ('sensitive', 'BOOLEAN'), ('granted_by', 'VARCHAR'), ('approved_by', 'VARCHAR'), ('valid_from', 'TIMESTAMPTZ'), ('valid_to', 'TIMESTAMPTZ'), ('revoked_at', 'TIMESTAMPTZ')],
    'consents': [('consent_id', 'VARCHAR'), ('student_sourcedId', 'VARCHAR'), ('guardian_sourcedId', 'VARCHAR'), ('purpose', 'VARCHAR'), ('data_category', 'VARCHAR'), ('status', 'VARCHAR'), ('given_at', 'TIMESTAMPTZ'), ('withdrawn_at', 'TIMESTAMPTZ')],
  },
  'access': {
    'events': [('event_id', 'VARCHAR'), ('seq', 'BIGINT'), ('event_time', 'TIMESTAMPTZ'), ('event_time_raw', 'VARCHAR'), ('principal_id', 'VARCHAR'), ('role', 'VARCHAR'), ('client_app', 'VARCHAR'), ('action', 'VARCHAR'), ('resource', 'VARCHAR'), ('columns', 'VARCHAR[]'), ('purpose', 'VARCHAR'), ('decision', 'VARCHAR'), ('grant_id', 'VARCHAR'), ('rows_returned', 'BIGINT'), ('subject_ids', 'VARCHAR[]'), ('local_date', 'DATE')],
  },
} -%}
{%- if source_name not in contracts or table_name not in contracts[source_name] -%}
  {{ exceptions.raise_compiler_error("bronze_columns: no contract for " ~ source_name ~ "." ~ table_name) }}
{%- endif -%}
{{ return(contracts[source_name][table_name] + bronze_lineage_columns()) }}
{%- endmacro %}
