-- Privacy test: no public mart holds a column classified as sensitive (health,
-- psychological: minors' special-category data). Classifications come from the columns'
-- meta through column_classification. Fix: move the column to a restricted mart
-- (marts/restricted, exposure restricted) and read it from there under its grant.
select model_name, column_name, classification
from {{ ref('column_classification') }}
where exposure = 'public' and classification like 'sensitive%'
