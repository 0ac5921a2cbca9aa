CREATE TABLE "count_breakdowns" (
	"job_log_id" integer NOT NULL,
	"source" text NOT NULL,
	"dimension" text NOT NULL,
	"key" text NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "count_breakdowns_job_log_id_source_dimension_key_pk" PRIMARY KEY("job_log_id","source","dimension","key"),
	CONSTRAINT "count_breakdowns_dimension_values" CHECK ("count_breakdowns"."dimension" in ('status', 'application', 'sub_application', 'flag')),
	CONSTRAINT "count_breakdowns_count_nonnegative" CHECK ("count_breakdowns"."count" >= 0)
);
--> statement-breakpoint
ALTER TABLE "count_breakdowns" ADD CONSTRAINT "count_breakdowns_job_log_id_job_logs_id_fk" FOREIGN KEY ("job_log_id") REFERENCES "public"."job_logs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "count_breakdowns_dimension_key_idx" ON "count_breakdowns" USING btree ("dimension","key","job_log_id");