-- Signing secrets by generation; the endpoint row says which generations sign (current,
-- and the previous one until its grace period ends). Existing secrets become generation 2
-- (current) and 1 (previous, if any).
CREATE TABLE secret_generations (
    tenant      TEXT NOT NULL,
    endpoint_id TEXT NOT NULL,
    generation  INTEGER NOT NULL,
    secret      TEXT NOT NULL,
    PRIMARY KEY (tenant, endpoint_id, generation)
);
INSERT INTO secret_generations (tenant, endpoint_id, generation, secret)
    SELECT tenant, endpoint_id, 2, current FROM secrets;
INSERT INTO secret_generations (tenant, endpoint_id, generation, secret)
    SELECT tenant, endpoint_id, 1, previous FROM secrets WHERE previous IS NOT NULL;
ALTER TABLE endpoints ADD COLUMN secret_generation INTEGER NOT NULL DEFAULT 1;
ALTER TABLE endpoints ADD COLUMN previous_generation INTEGER;
ALTER TABLE endpoints ADD COLUMN previous_generation_until INTEGER;
UPDATE endpoints SET
    secret_generation = 2,
    previous_generation = (SELECT CASE WHEN s.previous IS NULL THEN NULL ELSE 1 END FROM secrets s
                           WHERE s.tenant = endpoints.tenant AND s.endpoint_id = endpoints.id),
    previous_generation_until = (SELECT s.previous_until FROM secrets s
                                 WHERE s.tenant = endpoints.tenant AND s.endpoint_id = endpoints.id)
WHERE EXISTS (SELECT 1 FROM secrets s WHERE s.tenant = endpoints.tenant AND s.endpoint_id = endpoints.id);
DROP TABLE secrets;
