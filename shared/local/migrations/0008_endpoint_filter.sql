-- An endpoint's optional CEL filter over event_type and event_data (shared/core/src/filter.rs).
ALTER TABLE endpoints ADD COLUMN filter TEXT;
