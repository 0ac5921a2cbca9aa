ALTER TABLE "totals" ADD COLUMN "run_name" varchar(32);--> statement-breakpoint
UPDATE "totals" SET "run_name" = "job_logs"."name" FROM "job_logs" WHERE "job_logs"."id" = "totals"."job_log_id";--> statement-breakpoint
ALTER TABLE "totals" ALTER COLUMN "run_name" SET NOT NULL;--> statement-breakpoint
DROP INDEX "totals_client_business_date_idx";--> statement-breakpoint
DROP INDEX "totals_business_date_created_at_idx";--> statement-breakpoint
CREATE INDEX "totals_client_business_date_idx" ON "totals" USING btree ("client","business_date","created_at","total","limit","run_name");--> statement-breakpoint
CREATE INDEX "totals_business_date_created_at_idx" ON "totals" USING btree ("business_date","created_at","total","limit","run_name");
