-- answer_rate is a fraction 0..1, students_answering never exceeds students_assigned,
-- nothing is answered where nothing was assigned, and there is no rate where nobody was
-- assigned anything (0 of 0). Returns the offending rows.
select *
from {{ ref('microtest_monthly') }}
where answer_rate not between 0 and 1
   or students_answering > students_assigned
   or (microtests_assigned = 0 and (students_assigned > 0 or answers > 0))
   or (students_answering = 0 and answer_rate <> 0)
   or (students_assigned = 0 and answer_rate is not null)
