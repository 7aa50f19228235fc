-- student_key must be a keyed hash: it may not equal an unkeyed hash of the sourcedId
-- (which anyone could recompute), nor the sourcedId itself. Returns leaking rows.
select student_sourced_id
from {{ ref('student_identity') }}
where student_key = student_sourced_id
   or student_key = sha256(student_sourced_id)
   or student_key = sha256(':' || student_sourced_id)
   or student_key = md5(student_sourced_id)
