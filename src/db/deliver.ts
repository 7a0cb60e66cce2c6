// The outbox messages that D1 takes, and the statement each becomes. Every
// statement is idempotent (a unique key and ON CONFLICT DO NOTHING, or an
// upsert of absolute values), so a message delivered twice after an eviction
// leaves D1 as if it had been delivered once.
import { eq, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export function database(db: D1Database) {
  return drizzle(db, { schema });
}

type Db = ReturnType<typeof database>;

/** An outbox message for D1: its kind and the row (or change) it carries. */
export type D1Message =
  | { kind: "event_version"; payload: typeof schema.events.$inferInsert }
  | { kind: "audit"; payload: typeof schema.auditLog.$inferInsert }
  /** Absolute counts of one minute; each object sends only its own columns. */
  | { kind: "minute"; payload: typeof schema.minuteHistory.$inferInsert }
  | { kind: "submission"; payload: typeof schema.submissions.$inferInsert }
  /** A status change; a payment also carries its reference (absent from messages queued before references were kept). */
  | {
      kind: "submission_status";
      payload: Required<Pick<typeof schema.submissions.$inferInsert, "id" | "status" | "paidAt" | "updatedAt">> & Pick<typeof schema.submissions.$inferInsert, "paymentReference">;
    }
  | { kind: "payment"; payload: typeof schema.payments.$inferInsert };

function statementFor(db: Db, message: D1Message) {
  switch (message.kind) {
    case "event_version":
      return db.insert(schema.events).values(message.payload).onConflictDoNothing();
    case "minute":
      return db
        .insert(schema.minuteHistory)
        .values(message.payload)
        .onConflictDoUpdate({ target: [schema.minuteHistory.eventId, schema.minuteHistory.minute], set: message.payload });
    case "audit":
      return db.insert(schema.auditLog).values(message.payload).onConflictDoNothing();
    case "submission":
      return db.insert(schema.submissions).values(message.payload).onConflictDoNothing();
    case "submission_status": {
      const { id, status, paidAt, updatedAt, paymentReference } = message.payload;
      const set = paymentReference === undefined ? { status, paidAt, updatedAt } : { status, paidAt, updatedAt, paymentReference };
      return db.update(schema.submissions).set(set).where(eq(schema.submissions.id, id));
    }
    case "payment":
      // A payment recorded before references were kept gains the first one given; a recorded reference never changes.
      return db
        .insert(schema.payments)
        .values(message.payload)
        .onConflictDoUpdate({ target: schema.payments.submissionId, set: { reference: sql`coalesce(${schema.payments.reference}, excluded.reference)` } });
    default:
      // A kind this build does not know (stored by another): it fails, and stays in the outbox.
      throw new Error(`unknown outbox kind ${(message as { kind: string }).kind}`);
  }
}

/** Writes a batch of messages to D1 in one round trip (one implicit transaction). */
export async function deliverToD1(d1: D1Database, messages: D1Message[]): Promise<void> {
  const db = database(d1);
  const [first, ...rest] = messages.map((message) => statementFor(db, message));
  if (!first) return;
  await db.batch([first, ...rest]);
}
