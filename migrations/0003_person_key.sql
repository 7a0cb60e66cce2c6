ALTER TABLE `submissions` ADD `person_key` text;--> statement-breakpoint
ALTER TABLE `submissions` ADD `namesake_review_id` text;--> statement-breakpoint
CREATE INDEX `submissions_event_person` ON `submissions` (`event_id`,`person_key`);