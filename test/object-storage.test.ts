// The objects' storage layout is a contract with every object already
// deployed: a new object creates exactly the tables, columns and indexes the
// deployed ones have, an object written by an older version migrates to it,
// and an object of the current version opens without a change.
import { env, exports } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { newTicketId } from "../src/auth/ticket";
import type { QueueRoom, RoomSnapshot } from "../src/durable/queue-room/queue-room";
import type { QuotaCounter } from "../src/durable/quota-counter/quota-counter";
import { BASE, counter, createEvent, room, submissionBody, admissionToken, submit, tick, uniqueEvent } from "./helpers";

/** Every table's columns and indexes (uniqueness and partial ones included), as SQLite reports them. */
function layout(sql: SqlStorage): Record<string, string[]> {
  const tables = sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' ORDER BY name").toArray();
  const out: Record<string, string[]> = {};
  for (const { name } of tables) {
    const columns = sql
      .exec<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)`, name)
      .toArray()
      .map((c) => [c.name, c.type, c.notnull ? "NOT NULL" : "", c.dflt_value !== null ? `DEFAULT ${c.dflt_value}` : "", c.pk ? "PRIMARY KEY" : ""].filter(Boolean).join(" "));
    const indexes = sql
      .exec<{ name: string; unique: number; partial: number }>(`SELECT name, "unique", partial FROM pragma_index_list(?) ORDER BY name`, name)
      .toArray()
      .map((i) => {
        const cols = sql.exec<{ name: string | null }>("SELECT name FROM pragma_index_info(?) ORDER BY seqno", i.name).toArray().map((c) => c.name ?? "(expression)");
        return `${i.unique ? "UNIQUE " : ""}INDEX ${i.name} (${cols.join(", ")})${i.partial ? " WHERE …" : ""}`;
      });
    out[name] = [...columns, ...indexes];
  }
  return out;
}

/** What an object holds, statement by statement: its schema's text, its version, and every row of every table. */
function contents(sql: SqlStorage): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {
    schema: sql.exec("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE '_cf_%' ORDER BY name").toArray(),
  };
  for (const { name } of sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' ORDER BY name").toArray()) {
    out[name] = sql.exec(`SELECT * FROM "${name}" ORDER BY 1`).toArray();
  }
  return out;
}

const SHARED = {
  faults: ["name TEXT PRIMARY KEY", "remaining INTEGER NOT NULL", "UNIQUE INDEX sqlite_autoindex_faults_1 (name)"],
  outbox: [
    "id INTEGER PRIMARY KEY",
    "kind TEXT NOT NULL",
    "payload TEXT NOT NULL",
    "attempts INTEGER NOT NULL DEFAULT 0",
    "next_attempt_at INTEGER NOT NULL",
    "last_error TEXT",
    "INDEX outbox_due (next_attempt_at)",
  ],
  schema_version: ["version INTEGER NOT NULL"],
  sqlite_sequence: ["name", "seq"],
};

/** The QueueRoom's layout at version 2, as deployed rooms have it. */
const ROOM_LAYOUT = {
  ...SHARED,
  fairness: ["id INTEGER PRIMARY KEY", "seed TEXT NOT NULL", "commitment TEXT NOT NULL", "committed_at INTEGER NOT NULL", "shuffled_at INTEGER", "shuffle_ms INTEGER"],
  minutes: [
    "minute INTEGER PRIMARY KEY",
    "arrivals INTEGER NOT NULL DEFAULT 0",
    "calls INTEGER NOT NULL DEFAULT 0",
    "admissions INTEGER NOT NULL DEFAULT 0",
    "used INTEGER NOT NULL DEFAULT 0",
    "expired INTEGER NOT NULL DEFAULT 0",
    "no_shows INTEGER NOT NULL DEFAULT 0",
    "left_count INTEGER NOT NULL DEFAULT 0",
    "rpc_calls INTEGER NOT NULL DEFAULT 0",
    "waiting INTEGER",
    "active INTEGER",
    "dirty INTEGER NOT NULL DEFAULT 0",
  ],
  origin_failures: ["kind TEXT PRIMARY KEY", "count INTEGER NOT NULL", "last_at INTEGER NOT NULL", "UNIQUE INDEX sqlite_autoindex_origin_failures_1 (kind)"],
  pow_used: ["id TEXT PRIMARY KEY", "at INTEGER NOT NULL", "UNIQUE INDEX sqlite_autoindex_pow_used_1 (id)"],
  prequeue: [
    "ticket_id TEXT PRIMARY KEY",
    "public_id TEXT NOT NULL",
    "entered_at INTEGER NOT NULL",
    "number INTEGER",
    "left INTEGER NOT NULL DEFAULT 0",
    "UNIQUE INDEX sqlite_autoindex_prequeue_1 (ticket_id)",
    "UNIQUE INDEX sqlite_autoindex_prequeue_2 (public_id)",
  ],
  room: [
    "id INTEGER PRIMARY KEY",
    "config TEXT NOT NULL",
    "config_version INTEGER NOT NULL",
    "next_number INTEGER NOT NULL",
    "serving_number INTEGER NOT NULL",
    "paused INTEGER NOT NULL DEFAULT 0",
    "closed_at INTEGER",
    "closed_reason TEXT",
    "accepted INTEGER NOT NULL DEFAULT 0",
    "clock_offset_ms INTEGER NOT NULL DEFAULT 0",
  ],
  tickets: [
    "number INTEGER PRIMARY KEY",
    "ticket_id TEXT NOT NULL",
    "entered_at INTEGER NOT NULL",
    "state TEXT NOT NULL",
    "called_at INTEGER",
    "deadline INTEGER",
    "jti TEXT",
    "device TEXT",
    "requeued_at INTEGER",
    "ended_at INTEGER",
    "UNIQUE INDEX sqlite_autoindex_tickets_1 (ticket_id)",
    "INDEX tickets_by_call (called_at) WHERE …",
    "INDEX tickets_by_deadline (state, deadline) WHERE …",
    "INDEX tickets_by_jti (jti) WHERE …",
    "INDEX tickets_by_state (state, number)",
    "INDEX tickets_by_wait ((expression)) WHERE …",
  ],
};

/** The QuotaCounter's layout at version 3 (version 2, as deployed counters have it, and the payment's reference). */
const COUNTER_LAYOUT = {
  ...SHARED,
  admission_bindings: [
    "jti TEXT PRIMARY KEY",
    "account_id TEXT NOT NULL",
    "application_id TEXT",
    "submission_id TEXT",
    "bound_at INTEGER NOT NULL",
    "UNIQUE INDEX sqlite_autoindex_admission_bindings_1 (jti)",
  ],
  counter: [
    "id INTEGER PRIMARY KEY",
    "quota INTEGER NOT NULL",
    "unpaid_frees_place INTEGER NOT NULL DEFAULT 0",
    "closed_at INTEGER",
    "closed_reason TEXT",
    "accepted INTEGER NOT NULL DEFAULT 0",
    "next_rank INTEGER NOT NULL DEFAULT 1",
    "eligible INTEGER NOT NULL DEFAULT 0",
    "refused_duplicates INTEGER NOT NULL DEFAULT 0",
    "refused_devices INTEGER NOT NULL DEFAULT 0",
    "refused_quota INTEGER NOT NULL DEFAULT 0",
    "refused_admission_used INTEGER NOT NULL DEFAULT 0",
    "namesake_overrides INTEGER NOT NULL DEFAULT 0",
  ],
  revoked: ["jti TEXT PRIMARY KEY", "at INTEGER NOT NULL", "UNIQUE INDEX sqlite_autoindex_revoked_1 (jti)"],
  revoked_tickets: ["ticket_id TEXT PRIMARY KEY", "at INTEGER NOT NULL", "UNIQUE INDEX sqlite_autoindex_revoked_tickets_1 (ticket_id)"],
  rpc_minutes: ["minute INTEGER PRIMARY KEY", "calls INTEGER NOT NULL"],
  submissions: [
    "id TEXT PRIMARY KEY",
    "kind TEXT NOT NULL",
    "rank INTEGER",
    "jti TEXT",
    "account_id TEXT NOT NULL",
    "identity_key TEXT NOT NULL",
    "status TEXT NOT NULL",
    "accepted_at INTEGER NOT NULL",
    "payment_due_at INTEGER NOT NULL",
    "paid_at INTEGER",
    "ticket_id TEXT",
    "person_key TEXT",
    "namesake_review_id TEXT",
    "payment_reference TEXT",
    "UNIQUE INDEX sqlite_autoindex_submissions_1 (id)",
    "UNIQUE INDEX sqlite_autoindex_submissions_2 (rank)",
    "UNIQUE INDEX sqlite_autoindex_submissions_3 (jti)",
    "INDEX submissions_accepted_at (accepted_at)",
    "INDEX submissions_account (account_id)",
    "INDEX submissions_due (status, payment_due_at)",
    "INDEX submissions_identity (identity_key)",
    "INDEX submissions_person (person_key)",
    "INDEX submissions_ticket (ticket_id)",
  ],
};

const version = (sql: SqlStorage) => sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray();

/** A line with every kind of row: waiting, called, admitted, a minute of history copied. */
async function busyRoom(prefix: string): Promise<{ id: string; ids: string[] }> {
  const id = uniqueEvent(prefix);
  await createEvent(id, { maxActive: 3, admitPerMinute: 100_000 });
  const ids = Array.from({ length: 8 }, () => newTicketId());
  await room(id).enter(ids.map((ticketId) => ({ ticketId, fresh: true })));
  await tick(id);
  expect(await room(id).claim(ids[0]!, "desktop")).toMatchObject({ ok: true, number: 1 });
  await tick(id);
  return { id, ids };
}

async function snapshotOf(id: string): Promise<RoomSnapshot> {
  const s = await room(id).snapshot();
  if (!s.exists) throw new Error("no room");
  return s;
}

describe("the objects' storage", () => {
  it("is, for a new room and a new counter, the layout of the objects already deployed", async () => {
    const { id } = await busyRoom("layout");
    expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    expect(await runInDurableObject(room(id), (_: QueueRoom, state) => [layout(state.storage.sql), version(state.storage.sql)])).toEqual([ROOM_LAYOUT, [{ version: 2 }]]);
    expect(await runInDurableObject(counter(id), (_: QuotaCounter, state) => [layout(state.storage.sql), version(state.storage.sql)])).toEqual([COUNTER_LAYOUT, [{ version: 3 }]]);
  });

  it("opens a room and a counter of the current version without changing a byte", async () => {
    const { id } = await busyRoom("reopen");
    expect((await submit(id, submissionBody(await admissionToken(id)))).res.status).toBe(201);
    const roomBefore = await runInDurableObject(room(id), (_: QueueRoom, state) => contents(state.storage.sql));
    const counterBefore = await runInDurableObject(counter(id), (_: QuotaCounter, state) => contents(state.storage.sql));
    await evictDurableObject(room(id));
    await evictDurableObject(counter(id));
    // The first thing each does once started again reads its storage, as the constructor left it.
    expect(await runInDurableObject(room(id), (_: QueueRoom, state) => contents(state.storage.sql))).toEqual(roomBefore);
    expect(await runInDurableObject(counter(id), (_: QuotaCounter, state) => contents(state.storage.sql))).toEqual(counterBefore);
  });

  it("migrates a room of version 1 (before the history's columns and the fair opening's tables) and keeps its line", async () => {
    const { id, ids } = await busyRoom("v1");
    const before = await snapshotOf(id);
    const tickets = () => runInDurableObject(room(id), (_: QueueRoom, state) => state.storage.sql.exec("SELECT * FROM tickets ORDER BY number").toArray());
    const line = await tickets();
    const arrivals = () =>
      runInDurableObject(room(id), (_: QueueRoom, state) => state.storage.sql.exec<{ n: number }>("SELECT SUM(arrivals) AS n FROM minutes").one().n);
    expect(await arrivals()).toBe(8);
    // Back to the version-1 layout: what version 2 and the later tables added is dropped.
    await runInDurableObject(room(id), (_: QueueRoom, state) => {
      state.storage.sql.exec(`
        ALTER TABLE minutes DROP COLUMN rpc_calls;
        ALTER TABLE minutes DROP COLUMN waiting;
        ALTER TABLE minutes DROP COLUMN active;
        ALTER TABLE minutes DROP COLUMN dirty;
        DROP INDEX tickets_by_wait;
        DROP TABLE prequeue;
        DROP TABLE fairness;
        DROP TABLE pow_used;
        DROP TABLE origin_failures;
        UPDATE schema_version SET version = 1;
      `);
    });
    await evictDurableObject(room(id));

    const after = await snapshotOf(id);
    expect({ ...after, generatedAt: 0 }).toEqual({ ...before, generatedAt: 0 });
    expect(await tickets()).toEqual(line);
    expect(await arrivals()).toBe(8);
    expect(await runInDurableObject(room(id), (_: QueueRoom, state) => [layout(state.storage.sql), version(state.storage.sql)])).toEqual([ROOM_LAYOUT, [{ version: 2 }]]);
    // And it works on: a called number leaves, the next tick calls the next one, the metrics read the new columns.
    expect(await room(id).leave(ids[1]!)).toEqual({ ok: true, jti: null });
    await tick(id);
    expect((await snapshotOf(id)).servingNumber).toBe(before.servingNumber + 1);
    expect(await room(id).metrics()).toMatchObject({ entered: 8, wait: { called: 4 }, tickets: { waiting: 4, called: 2, admitted: 1, left: 1 } });
  });

  it("migrates a counter of version 2 (before payment references) and keeps its submissions, paid ones included", async () => {
    const id = uniqueEvent("counter-v2");
    await createEvent(id, { quota: 10 });
    const paid = (await submit(id, submissionBody(await admissionToken(id)))).body.receipt;
    const unpaid = (await submit(id, submissionBody(await admissionToken(id)))).body.receipt;
    const rows = () => runInDurableObject(counter(id), (_: QuotaCounter, state) => state.storage.sql.exec("SELECT id, rank, status, paid_at FROM submissions ORDER BY rank").toArray());
    // A payment recorded by version 2: no reference.
    await runInDurableObject(counter(id), (_: QuotaCounter, state) => {
      state.storage.sql.exec("UPDATE submissions SET status = 'paid', paid_at = ? WHERE id = ?", Date.now() - 60_000, paid.id);
      state.storage.sql.exec("ALTER TABLE submissions DROP COLUMN payment_reference; UPDATE schema_version SET version = 2;");
    });
    const before = await rows();
    await evictDurableObject(counter(id));

    expect(await rows()).toEqual(before);
    expect(await runInDurableObject(counter(id), (_: QuotaCounter, state) => [layout(state.storage.sql), version(state.storage.sql)])).toEqual([COUNTER_LAYOUT, [{ version: 3 }]]);
    // And it works on: the old payment takes the first reference it is sent, the other is paid with its own.
    const pay = (subId: string, reference: string) =>
      exports.default.fetch(`${BASE}/guichet/api/submissions/${subId}/payment?event=${id}`, {
        method: "POST",
        headers: { authorization: `Bearer ${env.ORIGIN_API_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ reference }),
      });
    for (const [subId, reference] of [[paid.id, "OLD-1"], [unpaid.id, "NEW-1"]] as const) {
      const res = await pay(subId, reference);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).submission).toMatchObject({ status: "paid", paymentReference: reference });
    }
  });
});
