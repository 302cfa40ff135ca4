-- Only unleased tasks are looked up by due time. The worker's ready list writes its tasks
-- leased, so leaving leased rows out of this index makes handing a task over and removing
-- it one B-tree write each instead of two.
DROP INDEX tasks_due;
CREATE INDEX tasks_due ON tasks (not_before) WHERE leased = 0;
