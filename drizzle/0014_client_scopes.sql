ALTER TABLE "job_logs" ADD COLUMN "scope_sources" text[];--> statement-breakpoint
ALTER TABLE "job_logs" ADD COLUMN "scope_limit" bigint;--> statement-breakpoint
ALTER TABLE "job_logs" ADD COLUMN "complete" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "job_logs" ADD COLUMN "counted_total" bigint;--> statement-breakpoint
CREATE INDEX "job_logs_client_business_date_idx" ON "job_logs" USING btree ("client","business_date");--> statement-breakpoint
-- A figure is one client's: the '*' figure over all clients was whichever client's run finished
-- last, which is no figure at all. The triggers now keep per-client figures only.
CREATE OR REPLACE FUNCTION totals_raise_daily_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO daily_figures AS f (client, business_date, job_log_id, run_name, total, "limit", counts, created_at)
    SELECT DISTINCT ON (client, business_date) client, business_date, job_log_id, run_name, total, "limit", counts, created_at
    FROM new_rows
    -- Key order: concurrent statements lock the figures they share in one order, never deadlock.
    ORDER BY client, business_date, created_at DESC, job_log_id DESC
    ON CONFLICT (client, business_date) DO UPDATE
      SET job_log_id = excluded.job_log_id, run_name = excluded.run_name, total = excluded.total,
          "limit" = excluded."limit", counts = excluded.counts, created_at = excluded.created_at
      WHERE (excluded.created_at, excluded.job_log_id) > (f.created_at, f.job_log_id);
  RETURN NULL;
END;
$$;--> statement-breakpoint
-- A deleted total that was its date's figure (retention, a deleted run) hands the figure to the
-- date's latest remaining total of its client, or takes it along when none is left.
CREATE OR REPLACE FUNCTION totals_lower_daily_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- The figures it may change, locked first and in key order, as the insert trigger
  -- locks them: a deletion and a store of the same date wait for each other, never deadlock.
  PERFORM 1 FROM daily_figures f JOIN old_rows ON old_rows.job_log_id = f.job_log_id
    ORDER BY f.client, f.business_date FOR UPDATE OF f;
  INSERT INTO daily_figures AS f (client, business_date, job_log_id, run_name, total, "limit", counts, created_at)
    SELECT gone.client, gone.business_date, latest.job_log_id, latest.run_name, latest.total, latest."limit", latest.counts, latest.created_at
    FROM daily_figures gone
    JOIN old_rows ON old_rows.job_log_id = gone.job_log_id
    CROSS JOIN LATERAL (
      SELECT t.job_log_id, t.run_name, t.total, t."limit", t.counts, t.created_at FROM totals t
      WHERE t.client = gone.client AND t.business_date = gone.business_date
      ORDER BY t.created_at DESC, t.job_log_id DESC LIMIT 1
    ) latest
    ORDER BY gone.client, gone.business_date
    ON CONFLICT (client, business_date) DO UPDATE
      SET job_log_id = excluded.job_log_id, run_name = excluded.run_name, total = excluded.total,
          "limit" = excluded."limit", counts = excluded.counts, created_at = excluded.created_at;
  DELETE FROM daily_figures f USING old_rows WHERE f.job_log_id = old_rows.job_log_id;
  RETURN NULL;
END;
$$;--> statement-breakpoint
DELETE FROM daily_figures WHERE client = '*';
