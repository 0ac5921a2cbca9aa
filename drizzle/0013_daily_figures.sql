CREATE TABLE "daily_figures" (
	"client" text NOT NULL,
	"business_date" date NOT NULL,
	"job_log_id" integer NOT NULL,
	"run_name" varchar(32) NOT NULL,
	"total" bigint NOT NULL,
	"limit" bigint NOT NULL,
	"counts" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "daily_figures_client_business_date_pk" PRIMARY KEY("client","business_date")
);
--> statement-breakpoint
DROP INDEX "totals_business_date_created_at_idx";--> statement-breakpoint
CREATE INDEX "daily_figures_business_date_idx" ON "daily_figures" USING btree ("business_date");--> statement-breakpoint
-- The daily series read one index probe per calendar day from totals (365 for a year, whatever
-- the number of runs); each date's figure is now kept in daily_figures by these triggers, inside
-- the statement that stores or deletes totals, so the series is one range of a small table.
-- A figure is its date's latest total by (created_at, job_log_id), per client and over all
-- clients ('*': client names start with a letter).
CREATE FUNCTION totals_raise_daily_figures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO daily_figures AS f (client, business_date, job_log_id, run_name, total, "limit", counts, created_at)
    SELECT DISTINCT ON (scope, business_date) scope, business_date, job_log_id, run_name, total, "limit", counts, created_at
    FROM (SELECT client AS scope, * FROM new_rows UNION ALL SELECT '*', * FROM new_rows) candidates
    -- Key order: concurrent statements lock the figures they share in one order, never deadlock.
    ORDER BY scope, business_date, created_at DESC, job_log_id DESC
    ON CONFLICT (client, business_date) DO UPDATE
      SET job_log_id = excluded.job_log_id, run_name = excluded.run_name, total = excluded.total,
          "limit" = excluded."limit", counts = excluded.counts, created_at = excluded.created_at
      WHERE (excluded.created_at, excluded.job_log_id) > (f.created_at, f.job_log_id);
  RETURN NULL;
END;
$$;--> statement-breakpoint
-- A deleted total that was its date's figure (retention, a deleted run) hands the figure to the
-- date's latest remaining total, or takes it along when none is left: per client from totals
-- first, then over all clients from the per-client figures.
CREATE FUNCTION totals_lower_daily_figures() RETURNS trigger LANGUAGE plpgsql AS $$
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
    WHERE gone.client <> '*'
    ORDER BY gone.client, gone.business_date
    ON CONFLICT (client, business_date) DO UPDATE
      SET job_log_id = excluded.job_log_id, run_name = excluded.run_name, total = excluded.total,
          "limit" = excluded."limit", counts = excluded.counts, created_at = excluded.created_at;
  DELETE FROM daily_figures f USING old_rows WHERE f.job_log_id = old_rows.job_log_id AND f.client <> '*';
  INSERT INTO daily_figures AS f (client, business_date, job_log_id, run_name, total, "limit", counts, created_at)
    SELECT gone.client, gone.business_date, latest.job_log_id, latest.run_name, latest.total, latest."limit", latest.counts, latest.created_at
    FROM daily_figures gone
    JOIN old_rows ON old_rows.job_log_id = gone.job_log_id
    CROSS JOIN LATERAL (
      SELECT c.job_log_id, c.run_name, c.total, c."limit", c.counts, c.created_at FROM daily_figures c
      WHERE c.business_date = gone.business_date AND c.client <> '*'
      ORDER BY c.created_at DESC, c.job_log_id DESC LIMIT 1
    ) latest
    WHERE gone.client = '*'
    ORDER BY gone.business_date
    ON CONFLICT (client, business_date) DO UPDATE
      SET job_log_id = excluded.job_log_id, run_name = excluded.run_name, total = excluded.total,
          "limit" = excluded."limit", counts = excluded.counts, created_at = excluded.created_at;
  DELETE FROM daily_figures f USING old_rows WHERE f.job_log_id = old_rows.job_log_id;
  RETURN NULL;
END;
$$;--> statement-breakpoint
-- Triggers before the backfill: creating them waits for writers of totals in flight and holds
-- new ones off until this migration commits, so the backfill below misses no total.
CREATE TRIGGER totals_daily_figures_insert AFTER INSERT ON totals
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION totals_raise_daily_figures();--> statement-breakpoint
CREATE TRIGGER totals_daily_figures_delete AFTER DELETE ON totals
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION totals_lower_daily_figures();--> statement-breakpoint
INSERT INTO daily_figures (client, business_date, job_log_id, run_name, total, "limit", counts, created_at)
  SELECT DISTINCT ON (client, business_date) client, business_date, job_log_id, run_name, total, "limit", counts, created_at
  FROM totals ORDER BY client, business_date, created_at DESC, job_log_id DESC;--> statement-breakpoint
INSERT INTO daily_figures (client, business_date, job_log_id, run_name, total, "limit", counts, created_at)
  SELECT DISTINCT ON (business_date) '*', business_date, job_log_id, run_name, total, "limit", counts, created_at
  FROM daily_figures ORDER BY business_date, created_at DESC, job_log_id DESC;
--> statement-breakpoint
ANALYZE daily_figures;
