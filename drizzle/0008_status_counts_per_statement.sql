-- Status counters per statement, not per row: a batched write that moves 20 runs from one status
-- to another now makes one aggregated upsert per (client, status) instead of 20 function calls
-- with one or two upserts each. Transition tables carry the statement's old and new rows.
DROP TRIGGER job_logs_status_counts ON job_logs;--> statement-breakpoint
CREATE OR REPLACE FUNCTION job_logs_maintain_status_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  -- A connection pool's backends have consecutive pids: distinct shards for up to 64 of them.
  own_shard smallint := pg_backend_pid() % 64;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO run_status_counts AS counts (client, status, shard, count)
      SELECT client, status, own_shard, count(*) FROM new_rows GROUP BY client, status
      ON CONFLICT (client, status, shard) DO UPDATE SET count = counts.count + excluded.count;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO run_status_counts AS counts (client, status, shard, count)
      SELECT client, status, own_shard, -count(*) FROM old_rows GROUP BY client, status
      ON CONFLICT (client, status, shard) DO UPDATE SET count = counts.count + excluded.count;
  ELSE
    INSERT INTO run_status_counts AS counts (client, status, shard, count)
      SELECT client, status, own_shard, sum(delta) FROM (
        SELECT old_rows.client, old_rows.status, -1 AS delta FROM old_rows JOIN new_rows USING (id)
          WHERE old_rows.status IS DISTINCT FROM new_rows.status OR old_rows.client IS DISTINCT FROM new_rows.client
        UNION ALL
        SELECT new_rows.client, new_rows.status, 1 FROM old_rows JOIN new_rows USING (id)
          WHERE old_rows.status IS DISTINCT FROM new_rows.status OR old_rows.client IS DISTINCT FROM new_rows.client
      ) changes
      GROUP BY client, status HAVING sum(delta) <> 0
      ON CONFLICT (client, status, shard) DO UPDATE SET count = counts.count + excluded.count;
  END IF;
  RETURN NULL;
END;
$$;--> statement-breakpoint
CREATE TRIGGER job_logs_status_counts_insert AFTER INSERT ON job_logs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION job_logs_maintain_status_counts();--> statement-breakpoint
CREATE TRIGGER job_logs_status_counts_update AFTER UPDATE ON job_logs
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION job_logs_maintain_status_counts();--> statement-breakpoint
CREATE TRIGGER job_logs_status_counts_delete AFTER DELETE ON job_logs
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION job_logs_maintain_status_counts();
