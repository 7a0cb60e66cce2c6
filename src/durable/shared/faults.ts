// Fault switches for the hardening tests (ENABLE_TEST_SEAMS only): a named
// fault armed for N occurrences makes the next N deliveries or alarms fail.
// Stored in the object's SQLite, so an armed fault survives an eviction.

/**
 * d1: D1 refuses the delivery; d1_after: the object dies right after D1 took
 * the rows (they stay in the outbox and are delivered again); alarm: the alarm
 * throws before doing anything; room_sync: the QueueRoom cannot be reached;
 * revoke: the QuotaCounter fails a revocation before recording it.
 */
export type FaultName = "d1" | "d1_after" | "alarm" | "room_sync" | "revoke";

export class Faults {
  constructor(
    private readonly sql: SqlStorage,
    private readonly enabled: boolean,
  ) {}

  static schema = "CREATE TABLE IF NOT EXISTS faults (name TEXT PRIMARY KEY, remaining INTEGER NOT NULL)";

  arm(name: FaultName, times: number): void {
    if (!this.enabled) throw new Error("test seams are disabled");
    this.sql.exec("INSERT INTO faults (name, remaining) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET remaining = excluded.remaining", name, times);
  }

  /** Throws if the fault is armed (and uses up one occurrence). */
  check(name: FaultName): void {
    if (!this.enabled) return;
    const row = this.sql.exec<{ remaining: number }>("SELECT remaining FROM faults WHERE name = ?", name).toArray()[0];
    if (!row || row.remaining <= 0) return;
    this.sql.exec("UPDATE faults SET remaining = remaining - 1 WHERE name = ?", name);
    throw new Error(`injected fault: ${name}`);
  }
}
