-- Privacy test: no public mart holds a column classified as a direct identifier (a
-- sourcedId, a name) or as sensitive (health, psychological: minors' special-category
-- data). Classifications come from the columns' meta through column_classification.
-- Fix: move the column to a restricted mart (marts/restricted, exposure restricted) and
-- read it from there under its grant; a public mart carries the keyed pseudonym instead.
select model_name, column_name, classification
from {{ ref('column_classification') }}
where exposure = 'public'
  and (classification = 'direct_identifier' or classification like 'sensitive%')
