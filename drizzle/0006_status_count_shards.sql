-- Status counters were one row per (client, status): every status change of every run updated the
-- same few rows, so concurrent writers queued on those row locks until each commit. Each backend
-- now adds its +1/-1 to its own shard row; counts are the sum over shards and stay exact.
ALTER TABLE "run_status_counts" ADD COLUMN "shard" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "run_status_counts" DROP CONSTRAINT "run_status_counts_client_status_pk";--> statement-breakpoint
ALTER TABLE "run_status_counts" ADD CONSTRAINT "run_status_counts_client_status_shard_pk" PRIMARY KEY("client","status","shard");--> statement-breakpoint
CREATE OR REPLACE FUNCTION job_logs_maintain_status_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  -- A connection pool's backends have consecutive pids: distinct shards for up to 64 of them.
  own_shard smallint := pg_backend_pid() % 64;
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF TG_OP = 'DELETE' OR OLD.status IS DISTINCT FROM NEW.status OR OLD.client IS DISTINCT FROM NEW.client THEN
      INSERT INTO run_status_counts AS counts (client, status, shard, count) VALUES (OLD.client, OLD.status, own_shard, -1)
        ON CONFLICT (client, status, shard) DO UPDATE SET count = counts.count - 1;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status OR OLD.client IS DISTINCT FROM NEW.client THEN
      INSERT INTO run_status_counts AS counts (client, status, shard, count) VALUES (NEW.client, NEW.status, own_shard, 1)
        ON CONFLICT (client, status, shard) DO UPDATE SET count = counts.count + 1;
    END IF;
  END IF;
  RETURN NULL;
END;
$$;
