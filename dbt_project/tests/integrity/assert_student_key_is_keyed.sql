-- student_key must be a keyed HMAC: never null (the key's session variables missing),
-- never the sourcedId itself nor an unkeyed hash anyone could recompute, nor the hash
-- under the constant "dev" secret older versions used when none was set. Returns
-- leaking rows.
select student_sourced_id
from {{ ref('student_identity') }}
where student_key is null
   or student_key = student_sourced_id
   or student_key = {{ sha256_hex("student_sourced_id") }}
   or student_key = {{ sha256_hex("':' || student_sourced_id") }}
   or student_key = md5(student_sourced_id)
   or student_key = sha1(student_sourced_id)
   or student_key = {{ sha256_hex("'eduhouse-dev-secret-not-for-production:' || student_sourced_id") }}
