-- The manifest properties of the latest roster delivery that carried each property.
select
    propertyName as property_name,
    value as property_value,
    _delivery,
    _landed_at
from {{ latest_by_key(bronze_relation('roster', 'manifest'), 'propertyName', modified_col='_landed_at') }}
