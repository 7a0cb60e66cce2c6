// The QuotaCounter's storage: the counter's row, the accepted submissions,
// revocations, admission bindings, RPC calls per minute, faults and the outbox.
import { Faults } from "../shared/faults";
import { Outbox } from "../shared/outbox";
import type { Schema } from "../shared/schema";

const TABLES = `
  CREATE TABLE IF NOT EXISTS counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    quota INTEGER NOT NULL,
    unpaid_frees_place INTEGER NOT NULL DEFAULT 0,
    closed_at INTEGER,
    closed_reason TEXT,
    accepted INTEGER NOT NULL DEFAULT 0,
    next_rank INTEGER NOT NULL DEFAULT 1,
    eligible INTEGER NOT NULL DEFAULT 0,
    refused_duplicates INTEGER NOT NULL DEFAULT 0,
    refused_devices INTEGER NOT NULL DEFAULT 0,
    refused_quota INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS submissions (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    rank INTEGER UNIQUE,
    jti TEXT UNIQUE,
    account_id TEXT NOT NULL,
    identity_key TEXT NOT NULL,
    status TEXT NOT NULL,
    accepted_at INTEGER NOT NULL,
    payment_due_at INTEGER NOT NULL,
    paid_at INTEGER
  );
  CREATE INDEX IF NOT EXISTS submissions_account ON submissions(account_id);
  CREATE INDEX IF NOT EXISTS submissions_identity ON submissions(identity_key);
  CREATE INDEX IF NOT EXISTS submissions_due ON submissions(status, payment_due_at);
  CREATE INDEX IF NOT EXISTS submissions_accepted_at ON submissions(accepted_at);
  CREATE TABLE IF NOT EXISTS revoked (jti TEXT PRIMARY KEY, at INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS rpc_minutes (minute INTEGER PRIMARY KEY, calls INTEGER NOT NULL);
  ${Outbox.schema};
  ${Faults.schema};`;

/** What storage at version v - 1 needs to reach v. */
const MIGRATIONS: Schema["migrations"] = {
  /**
   * Admissions bound to the pair that first used them (admissions used
   * before it are bound to their account alone: the application was not
   * kept), tickets revoked when their candidate leaves, and the person key
   * (submissions accepted before it have none: they match by passport only).
   */
  2: `
    ALTER TABLE counter ADD COLUMN refused_admission_used INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE admission_bindings (
      jti TEXT PRIMARY KEY,
      account_id TEXT NOT NULL,
      application_id TEXT,
      submission_id TEXT,
      bound_at INTEGER NOT NULL
    );
    INSERT INTO admission_bindings (jti, account_id, application_id, submission_id, bound_at)
      SELECT jti, account_id, NULL, id, accepted_at FROM submissions WHERE jti IS NOT NULL;
    ALTER TABLE submissions ADD COLUMN ticket_id TEXT;
    CREATE INDEX submissions_ticket ON submissions(ticket_id);
    CREATE TABLE revoked_tickets (ticket_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
    ALTER TABLE submissions ADD COLUMN person_key TEXT;
    ALTER TABLE submissions ADD COLUMN namesake_review_id TEXT;
    CREATE INDEX submissions_person ON submissions(person_key);
    ALTER TABLE counter ADD COLUMN namesake_overrides INTEGER NOT NULL DEFAULT 0;`,
  /**
   * The payment's reference: the first one recorded is kept, so that another
   * reference for the same submission is refused instead of dropped.
   * Payments recorded before it have none.
   */
  3: `ALTER TABLE submissions ADD COLUMN payment_reference TEXT;`,
};

export const COUNTER_SCHEMA: Schema = { version: 3, createdAs: 1, tables: TABLES, migrations: MIGRATIONS };
