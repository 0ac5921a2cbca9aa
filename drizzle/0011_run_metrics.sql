CREATE TABLE "run_metrics" (
	"job_log_id" integer NOT NULL,
	"source" text,
	"metric" text NOT NULL,
	"rule" text,
	"value" double precision NOT NULL,
	CONSTRAINT "run_metrics_run_source_metric_key" UNIQUE NULLS NOT DISTINCT("job_log_id","source","metric"),
	CONSTRAINT "run_metrics_value_nonnegative" CHECK ("run_metrics"."value" >= 0),
	CONSTRAINT "run_metrics_rule_values" CHECK ("run_metrics"."rule" in ('sum', 'min', 'max', 'last')),
	CONSTRAINT "run_metrics_rule_on_run_rows" CHECK (("run_metrics"."source" is null) = ("run_metrics"."rule" is not null))
);
--> statement-breakpoint
ALTER TABLE "run_metrics" ADD CONSTRAINT "run_metrics_job_log_id_job_logs_id_fk" FOREIGN KEY ("job_log_id") REFERENCES "public"."job_logs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "run_metrics_metric_run_idx" ON "run_metrics" USING btree ("metric","job_log_id") WHERE "run_metrics"."source" is null;