// A transactional outbox in a Durable Object's SQLite storage: messages are
// added in the same synchronous block as the change they record, and the
// alarm delivers them (to D1, to another object) until delivery succeeds.
// Delivery must be idempotent: a message may be delivered twice if the object
// is evicted between delivery and deletion, never zero times.
import type { D1Message } from "../../db/deliver";
import type { ClosedReason } from "../../domain/event";

/** What a QuotaCounter tells its event's QueueRoom. */
export type RoomMessage =
  /** An accepted submission (its admission, when it had one) and the accepted total; `absolute` when places were freed. */
  | { kind: "room_accepted"; payload: { jti: string | null; number?: number | null; accepted: number; absolute?: boolean } }
  | { kind: "room_close"; payload: { reason: ClosedReason } };

export type OutboxMessage = D1Message | RoomMessage;

/**
 * Who takes a message. Lanes are drained independently, so a receiver that
 * is down (D1) never holds back another (the QueueRoom).
 */
export type Lane = "d1" | "room";

const LANES: { [K in OutboxMessage["kind"]]: Lane } = {
  event_version: "d1",
  audit: "d1",
  minute: "d1",
  submission: "d1",
  submission_status: "d1",
  payment: "d1",
  room_accepted: "room",
  room_close: "room",
};

type MessageIn<L extends Lane> = L extends "room" ? RoomMessage : D1Message;

const ROOM_KINDS = Object.keys(LANES).filter((kind) => LANES[kind as OutboxMessage["kind"]] === "room");
const ROOM_KIND_LIST = ROOM_KINDS.map(() => "?").join(", ");
/** The D1 lane takes every kind but the room's, known or not: one it cannot deliver fails there and backs off. */
const IN_LANE: Record<Lane, string> = { room: `kind IN (${ROOM_KIND_LIST})`, d1: `kind NOT IN (${ROOM_KIND_LIST})` };

const BATCH = 100;
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 60_000;

export class Outbox {
  private readonly draining = new Set<Lane>();

  constructor(private readonly sql: SqlStorage) {}

  static schema = `
    CREATE TABLE IF NOT EXISTS outbox (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      kind TEXT NOT NULL,
      payload TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      next_attempt_at INTEGER NOT NULL,
      last_error TEXT
    );
    CREATE INDEX IF NOT EXISTS outbox_due ON outbox(next_attempt_at);`;

  add(message: OutboxMessage, now: number): void {
    this.sql.exec("INSERT INTO outbox (kind, payload, next_attempt_at) VALUES (?, ?, ?)", message.kind, JSON.stringify(message.payload), now);
  }

  /**
   * Delivers the lane's due messages in one call of `deliver`; on success they
   * are deleted, on failure they stay and back off. One drain at a time per lane.
   */
  async drain<L extends Lane>(lane: L, now: number, deliver: (messages: MessageIn<L>[]) => Promise<void>): Promise<void> {
    if (this.draining.has(lane)) return;
    this.draining.add(lane);
    try {
      const rows = this.sql
        .exec<{ id: number; kind: string; payload: string }>(
          `SELECT id, kind, payload FROM outbox WHERE next_attempt_at <= ? AND ${IN_LANE[lane]} ORDER BY id LIMIT ?`,
          now,
          ...ROOM_KINDS,
          BATCH,
        )
        .toArray();
      if (rows.length === 0) return;
      const ids = rows.map((r) => r.id);
      try {
        await deliver(rows.map((r) => ({ kind: r.kind, payload: JSON.parse(r.payload) }) as MessageIn<L>));
      } catch (e) {
        this.failed(ids, Date.now(), e instanceof Error ? e.message : String(e));
        return;
      }
      for (const id of ids) this.sql.exec("DELETE FROM outbox WHERE id = ?", id);
    } finally {
      this.draining.delete(lane);
    }
  }

  /** Backs off exponentially with jitter, capped at a minute. */
  private failed(ids: number[], now: number, error: string): void {
    for (const id of ids) {
      const row = this.sql.exec<{ attempts: number }>("SELECT attempts FROM outbox WHERE id = ?", id).toArray()[0];
      if (!row) continue;
      const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** row.attempts) * (0.75 + Math.random() * 0.5);
      this.sql.exec(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?",
        Math.round(now + delay),
        error.slice(0, 200),
        id,
      );
    }
  }

  nextDueAt(): number | null {
    return this.sql.exec<{ at: number | null }>("SELECT MIN(next_attempt_at) AS at FROM outbox").one().at;
  }

  stats(): { pending: number; failing: number; oldestAttempts: number } {
    const row = this.sql
      .exec<{ pending: number; failing: number; maxAttempts: number | null }>(
        "SELECT COUNT(*) AS pending, SUM(attempts > 0) AS failing, MAX(attempts) AS maxAttempts FROM outbox",
      )
      .one();
    return { pending: row.pending, failing: row.failing ?? 0, oldestAttempts: row.maxAttempts ?? 0 };
  }
}
