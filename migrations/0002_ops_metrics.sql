ALTER TABLE `minute_history` ADD `wait_p50_ms` integer;--> statement-breakpoint
ALTER TABLE `minute_history` ADD `wait_p95_ms` integer;--> statement-breakpoint
ALTER TABLE `minute_history` ADD `do_calls_room` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `minute_history` ADD `do_calls_counter` integer DEFAULT 0 NOT NULL;