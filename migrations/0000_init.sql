CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`before` text,
	`after` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `audit_log_event_at` ON `audit_log` (`event_id`,`at`);--> statement-breakpoint
CREATE TABLE `events` (
	`event_id` text NOT NULL,
	`version` integer NOT NULL,
	`config` text NOT NULL,
	`source` text NOT NULL,
	`changed_at` integer NOT NULL,
	PRIMARY KEY(`event_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `minute_history` (
	`event_id` text NOT NULL,
	`minute` integer NOT NULL,
	`arrivals` integer DEFAULT 0 NOT NULL,
	`calls` integer DEFAULT 0 NOT NULL,
	`admissions` integer DEFAULT 0 NOT NULL,
	`used` integer DEFAULT 0 NOT NULL,
	`expired` integer DEFAULT 0 NOT NULL,
	`no_shows` integer DEFAULT 0 NOT NULL,
	`left_count` integer DEFAULT 0 NOT NULL,
	`waiting` integer DEFAULT 0 NOT NULL,
	`active` integer DEFAULT 0 NOT NULL,
	`updated_at` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`event_id`, `minute`)
);
