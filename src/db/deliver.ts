// What outbox rows become in D1. Every insert is idempotent (a unique key and
// ON CONFLICT DO NOTHING, or an upsert of absolute values), so a row delivered
// twice after an eviction leaves D1 as if it had been delivered once.
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { OutboxRow } from "../durable/shared/outbox";
import * as schema from "./schema";

export function database(db: D1Database) {
  return drizzle(db, { schema });
}

type Db = ReturnType<typeof database>;

function statementFor(db: Db, row: OutboxRow) {
  const p = JSON.parse(row.payload);
  switch (row.kind) {
    case "event_version":
      return db.insert(schema.events).values(p).onConflictDoNothing();
    case "minute":
      return db
        .insert(schema.minuteHistory)
        .values(p)
        .onConflictDoUpdate({ target: [schema.minuteHistory.eventId, schema.minuteHistory.minute], set: p });
    case "audit":
      return db.insert(schema.auditLog).values(p).onConflictDoNothing();
    case "submission":
      return db.insert(schema.submissions).values(p).onConflictDoNothing();
    case "submission_status":
      return db
        .update(schema.submissions)
        .set({ status: p.status, paidAt: p.paidAt, updatedAt: p.updatedAt })
        .where(eq(schema.submissions.id, p.id));
    case "payment":
      return db.insert(schema.payments).values(p).onConflictDoNothing();
    default:
      throw new Error(`unknown outbox kind ${row.kind}`);
  }
}

/** Writes a batch of outbox rows to D1 in one round trip (one implicit transaction). */
export async function deliverToD1(d1: D1Database, rows: OutboxRow[]): Promise<void> {
  const db = database(d1);
  const [first, ...rest] = rows.map((row) => statementFor(db, row));
  if (!first) return;
  await db.batch([first, ...rest]);
}
