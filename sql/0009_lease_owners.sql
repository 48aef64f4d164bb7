-- Which worker process holds a job's lease ("host:pid"), so the engine that
-- started a worker can give up its leases the moment it dies (a crash in a
-- decoder or in libtorch) instead of waiting for them to run out. The next
-- claim counts the attempt as usual.
ALTER TABLE jobs ADD COLUMN lease_owner text;
