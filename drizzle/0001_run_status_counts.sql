-- Keeps run_status_counts equal to SELECT client, status, count(*) FROM job_logs GROUP BY 1, 2,
-- inside the writing transaction, so the dashboard reads counts in O(1) and they are never stale.
CREATE FUNCTION job_logs_maintain_status_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    IF TG_OP = 'DELETE' OR OLD.status IS DISTINCT FROM NEW.status OR OLD.client IS DISTINCT FROM NEW.client THEN
      UPDATE run_status_counts SET count = count - 1 WHERE client = OLD.client AND status = OLD.status;
    END IF;
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    IF TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM NEW.status OR OLD.client IS DISTINCT FROM NEW.client THEN
      INSERT INTO run_status_counts AS counts (client, status, count) VALUES (NEW.client, NEW.status, 1)
        ON CONFLICT (client, status) DO UPDATE SET count = counts.count + 1;
    END IF;
  END IF;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER job_logs_status_counts
  AFTER INSERT OR DELETE OR UPDATE OF status, client ON job_logs
  FOR EACH ROW EXECUTE FUNCTION job_logs_maintain_status_counts();
