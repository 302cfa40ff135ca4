-- Extra headers an endpoint sends with every request, as a JSON object of name -> value.
ALTER TABLE endpoints ADD COLUMN headers TEXT NOT NULL DEFAULT '{}';
