CREATE TABLE `payments` (
	`submission_id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`paid_at` integer NOT NULL,
	`reference` text
);
--> statement-breakpoint
CREATE TABLE `submissions` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`rank` integer,
	`kind` text NOT NULL,
	`account_id` text NOT NULL,
	`application_id` text NOT NULL,
	`identity_key` text NOT NULL,
	`device_class` text NOT NULL,
	`queue_number` integer,
	`admission_jti` text,
	`representative` integer NOT NULL,
	`representative_id` text,
	`eligibility` text,
	`status` text NOT NULL,
	`accepted_at` integer NOT NULL,
	`payment_due_at` integer NOT NULL,
	`paid_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `submissions_event_rank` ON `submissions` (`event_id`,`rank`);--> statement-breakpoint
CREATE UNIQUE INDEX `submissions_jti` ON `submissions` (`admission_jti`);--> statement-breakpoint
CREATE UNIQUE INDEX `submissions_event_account` ON `submissions` (`event_id`,`account_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `submissions_event_identity` ON `submissions` (`event_id`,`identity_key`);