// A transactional outbox in a Durable Object's SQLite storage: rows are added
// in the same synchronous block as the change they record, and the alarm
// delivers them (to D1, to another object) until delivery succeeds. Delivery
// must be idempotent: a row may be delivered twice if the object is evicted
// between delivery and deletion, never zero times.

export interface OutboxRow {
  id: number;
  kind: string;
  payload: string;
  attempts: number;
}

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 60_000;

/**
 * A lane is the rows one kind of receiver takes (kinds by prefix): lanes are
 * drained independently, so a receiver that is down (D1) never holds back
 * another (the QueueRoom).
 */
export interface Lane {
  name: string;
  /** Kinds starting with this prefix… */
  prefix: string;
  /** …or, when true, every kind that does not. */
  others?: boolean;
}

export const ALL: Lane = { name: "all", prefix: "", others: false };

export class Outbox {
  private readonly draining = new Set<string>();

  constructor(private readonly sql: SqlStorage) {}

  /**
   * Delivers the lane's due rows in one call of `deliver`; on success they are
   * deleted, on failure they stay and back off. One drain at a time per lane.
   */
  async drain(now: number, deliver: (rows: OutboxRow[]) => Promise<void>, lane: Lane = ALL): Promise<{ delivered: number; failed: number }> {
    if (this.draining.has(lane.name)) return { delivered: 0, failed: 0 };
    this.draining.add(lane.name);
    try {
      const rows = this.due(now, 100, lane);
      if (rows.length === 0) return { delivered: 0, failed: 0 };
      const ids = rows.map((r) => r.id);
      try {
        await deliver(rows);
      } catch (e) {
        this.failed(ids, Date.now(), e instanceof Error ? e.message : String(e));
        return { delivered: 0, failed: rows.length };
      }
      this.delivered(ids);
      return { delivered: rows.length, failed: 0 };
    } finally {
      this.draining.delete(lane.name);
    }
  }

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

  add(kind: string, payload: unknown, now: number): void {
    this.sql.exec("INSERT INTO outbox (kind, payload, next_attempt_at) VALUES (?, ?, ?)", kind, JSON.stringify(payload), now);
  }

  due(now: number, limit = 100, lane: Lane = ALL): OutboxRow[] {
    const match = `(substr(kind, 1, ${lane.prefix.length}) = ?) = ${lane.others ? 0 : 1}`;
    return this.sql
      .exec<{ id: number; kind: string; payload: string; attempts: number }>(
        `SELECT id, kind, payload, attempts FROM outbox WHERE next_attempt_at <= ? AND ${match} ORDER BY id LIMIT ?`,
        now,
        lane.prefix,
        limit,
      )
      .toArray();
  }

  delivered(ids: number[]): void {
    for (const id of ids) this.sql.exec("DELETE FROM outbox WHERE id = ?", id);
  }

  /** Backs off exponentially with jitter, capped at a minute. */
  failed(ids: number[], now: number, error: string): void {
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
    const row = this.sql.exec<{ at: number | null }>("SELECT MIN(next_attempt_at) AS at FROM outbox").one();
    return row.at;
  }

  size(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM outbox").one().n;
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
