CREATE TABLE "anomalies" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "anomalies_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"job_log_id" integer NOT NULL,
	"client" text NOT NULL,
	"business_date" date NOT NULL,
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"value" double precision NOT NULL,
	"median" double precision NOT NULL,
	"low" double precision NOT NULL,
	"high" double precision NOT NULL,
	"history" integer NOT NULL,
	"message" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "anomalies_kind_values" CHECK ("anomalies"."kind" in ('count', 'ratio'))
);
--> statement-breakpoint
ALTER TABLE "anomalies" ADD CONSTRAINT "anomalies_job_log_id_job_logs_id_fk" FOREIGN KEY ("job_log_id") REFERENCES "public"."job_logs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "anomalies_run_subject_key" ON "anomalies" USING btree ("job_log_id","kind","subject");--> statement-breakpoint
CREATE INDEX "anomalies_client_business_date_idx" ON "anomalies" USING btree ("client","business_date","created_at","id");