CREATE TABLE "job_log_details" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "job_log_details_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"job_log_id" integer NOT NULL,
	"level" text DEFAULT 'info' NOT NULL,
	"source" text,
	"message" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT clock_timestamp() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_logs" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "job_logs_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"name" varchar(32) NOT NULL,
	"job" text DEFAULT 'license-count' NOT NULL,
	"client" text DEFAULT 'default' NOT NULL,
	"parameters" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"status" smallint DEFAULT 0 NOT NULL,
	"trigger" text DEFAULT 'manual' NOT NULL,
	"message" text,
	"retry_count" integer DEFAULT 0 NOT NULL,
	"retried_from" varchar(32),
	"idempotency_key" text,
	"business_date" date NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "job_logs_name_format" CHECK ("job_logs"."name" ~ '^[0-9]{14}(_[0-9]+)?$'),
	CONSTRAINT "job_logs_status_range" CHECK ("job_logs"."status" between 0 and 3),
	CONSTRAINT "job_logs_trigger_values" CHECK ("job_logs"."trigger" in ('schedule', 'manual', 'retry', 'api'))
);
--> statement-breakpoint
CREATE TABLE "run_name_counters" (
	"base" varchar(14) PRIMARY KEY NOT NULL,
	"next" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "run_status_counts" (
	"client" text NOT NULL,
	"status" smallint NOT NULL,
	"count" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "run_status_counts_client_status_pk" PRIMARY KEY("client","status")
);
--> statement-breakpoint
CREATE TABLE "source_counts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "source_counts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"job_log_id" integer NOT NULL,
	"source" text NOT NULL,
	"count" bigint NOT NULL,
	"breakdown" jsonb,
	"fetched_at" timestamp with time zone DEFAULT now() NOT NULL,
	"duration_ms" integer NOT NULL,
	CONSTRAINT "source_counts_count_nonnegative" CHECK ("source_counts"."count" >= 0)
);
--> statement-breakpoint
CREATE TABLE "totals" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "totals_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"job_log_id" integer NOT NULL,
	"client" text NOT NULL,
	"business_date" date NOT NULL,
	"total" bigint NOT NULL,
	"limit" bigint NOT NULL,
	"counts" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "totals_within_limit" CHECK ("totals"."total" >= 0 and "totals"."total" <= "totals"."limit")
);
--> statement-breakpoint
ALTER TABLE "job_log_details" ADD CONSTRAINT "job_log_details_job_log_id_job_logs_id_fk" FOREIGN KEY ("job_log_id") REFERENCES "public"."job_logs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "source_counts" ADD CONSTRAINT "source_counts_job_log_id_job_logs_id_fk" FOREIGN KEY ("job_log_id") REFERENCES "public"."job_logs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "totals" ADD CONSTRAINT "totals_job_log_id_job_logs_id_fk" FOREIGN KEY ("job_log_id") REFERENCES "public"."job_logs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "job_log_details_job_log_id_created_at_idx" ON "job_log_details" USING btree ("job_log_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "job_logs_name_key" ON "job_logs" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "job_logs_idempotency_key_key" ON "job_logs" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "job_logs_status_created_at_idx" ON "job_logs" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "job_logs_created_at_idx" ON "job_logs" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "job_logs_client_created_at_idx" ON "job_logs" USING btree ("client","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "source_counts_run_source_key" ON "source_counts" USING btree ("job_log_id","source");--> statement-breakpoint
CREATE UNIQUE INDEX "totals_job_log_id_key" ON "totals" USING btree ("job_log_id");--> statement-breakpoint
CREATE INDEX "totals_client_business_date_idx" ON "totals" USING btree ("client","business_date","created_at");