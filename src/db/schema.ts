// D1, the queryable system of record. Durable Objects hold the live truth;
// these tables receive it through outboxes with idempotent inserts.
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Every configuration an event has had: one row per version. */
export const events = sqliteTable(
  "events",
  {
    eventId: text("event_id").notNull(),
    version: integer("version").notNull(),
    config: text("config", { mode: "json" }).notNull(),
    source: text("source", { enum: ["vars", "ops", "test"] }).notNull(),
    changedAt: integer("changed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.version] })],
);

/** Operator actions: who, when, what, before and after. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    before: text("before", { mode: "json" }),
    after: text("after", { mode: "json" }),
    at: integer("at").notNull(),
  },
  (t) => [index("audit_log_event_at").on(t.eventId, t.at)],
);

/**
 * Per-minute counts copied from the QueueRoom (and the QuotaCounter's calls),
 * for the post-event report. Each object upserts only its own columns.
 */
export const minuteHistory = sqliteTable(
  "minute_history",
  {
    eventId: text("event_id").notNull(),
    minute: integer("minute").notNull(),
    arrivals: integer("arrivals").notNull().default(0),
    calls: integer("calls").notNull().default(0),
    admissions: integer("admissions").notNull().default(0),
    used: integer("used").notNull().default(0),
    expired: integer("expired").notNull().default(0),
    noShows: integer("no_shows").notNull().default(0),
    left: integer("left_count").notNull().default(0),
    waiting: integer("waiting").notNull().default(0),
    active: integer("active").notNull().default(0),
    /** Wait from entering to being called, for the numbers called in this minute (nearest-rank percentiles). */
    waitP50Ms: integer("wait_p50_ms"),
    waitP95Ms: integer("wait_p95_ms"),
    /** RPC calls served by each Durable Object in this minute. */
    doCallsRoom: integer("do_calls_room").notNull().default(0),
    doCallsCounter: integer("do_calls_counter").notNull().default(0),
    updatedAt: integer("updated_at").notNull().default(sql`0`),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.minute] })],
);

/**
 * Accepted submissions, in rank order: the ministry's export. Rows come from
 * the QuotaCounter's outbox; the unique keys make a second delivery a no-op.
 * No plain identity: `identity_key` (with the passport) and `person_key`
 * (without it) are HMACs with IDENTITY_PEPPER.
 */
export const submissions = sqliteTable(
  "submissions",
  {
    id: text("id").primaryKey(),
    eventId: text("event_id").notNull(),
    /** 1…quota for the line's submissions; null for always-eligible ones (counted apart). */
    rank: integer("rank"),
    kind: text("kind", { enum: ["quota", "eligible"] }).notNull(),
    accountId: text("account_id").notNull(),
    applicationId: text("application_id").notNull(),
    identityKey: text("identity_key").notNull(),
    /** Null for submissions accepted before the person key existed. Not unique: reviewed namesakes share it. */
    personKey: text("person_key"),
    /** The origin's namesake review that let this submission through the person key. */
    namesakeReviewId: text("namesake_review_id"),
    deviceClass: text("device_class").notNull(),
    queueNumber: integer("queue_number"),
    admissionJti: text("admission_jti"),
    representative: integer("representative", { mode: "boolean" }).notNull(),
    representativeId: text("representative_id"),
    eligibility: text("eligibility"),
    status: text("status", { enum: ["accepted", "paid", "expired_unpaid", "withdrawn"] }).notNull(),
    acceptedAt: integer("accepted_at").notNull(),
    paymentDueAt: integer("payment_due_at").notNull(),
    paidAt: integer("paid_at"),
    /** The origin's payment reference (the first one recorded; null before references were kept). */
    paymentReference: text("payment_reference"),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("submissions_event_rank").on(t.eventId, t.rank),
    uniqueIndex("submissions_jti").on(t.admissionJti),
    uniqueIndex("submissions_event_account").on(t.eventId, t.accountId),
    uniqueIndex("submissions_event_identity").on(t.eventId, t.identityKey),
    index("submissions_event_person").on(t.eventId, t.personKey),
  ],
);

/** Payments recorded by the origin for accepted submissions. */
export const payments = sqliteTable("payments", {
  submissionId: text("submission_id").primaryKey(),
  eventId: text("event_id").notNull(),
  paidAt: integer("paid_at").notNull(),
  reference: text("reference"),
});
