-- Fewer B-trees written per delivered entry (two instead of four), and the log's status
-- filters served by an index:
-- * the status index keeps only the entries still pending or failed, the ones a status
--   filter looks for among many delivered (listing "delivered", or no filter, walks the
--   primary key in message order, most entries being delivered anyway);
-- * the retention purge finds old entries through their messages, by creation time, so
--   entries need no creation-time index of their own.
DROP INDEX deliveries_created;
DROP INDEX deliveries_by_status;
CREATE INDEX deliveries_not_delivered ON deliveries (tenant, endpoint_id, status, message_id)
    WHERE status != 'delivered';
