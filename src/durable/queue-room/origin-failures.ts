// The origin's failures as the Worker's proxy saw them, counted in the room of
// the event the proxy fronts: one durable total that every isolate adds to,
// so the ops metrics (and Prometheus' counters) do not reset when an isolate
// dies. Only failures come here, batched a second per isolate (src/ops/origin-failures.ts).
import { ORIGIN_FAILURE_KINDS, noOriginFailures, type OriginFailureKind, type OriginFailures } from "./types";

/** The most one report may add per kind: a report beyond it is a bug, not an outage. */
const MAX_PER_REPORT = 1_000_000;

export class OriginFailureCounts {
  constructor(private readonly sql: SqlStorage) {}

  /** Adds one isolate's counts; unknown kinds and counts that are not small non-negative integers are ignored. */
  add(counts: Partial<Record<OriginFailureKind, number>>, now: number): void {
    for (const kind of ORIGIN_FAILURE_KINDS) {
      const n = counts[kind];
      if (n === undefined || !Number.isSafeInteger(n) || n <= 0 || n > MAX_PER_REPORT) continue;
      this.sql.exec(
        `INSERT INTO origin_failures (kind, count, last_at) VALUES (?, ?, ?)
         ON CONFLICT (kind) DO UPDATE SET count = count + excluded.count, last_at = MAX(last_at, excluded.last_at)`,
        kind,
        n,
        now,
      );
    }
  }

  read(): OriginFailures {
    const byKind = noOriginFailures();
    let lastAt: number | null = null;
    for (const row of this.sql.exec<{ kind: string; count: number; last_at: number }>("SELECT kind, count, last_at FROM origin_failures")) {
      if ((ORIGIN_FAILURE_KINDS as readonly string[]).includes(row.kind)) byKind[row.kind as OriginFailureKind] = row.count;
      lastAt = Math.max(lastAt ?? 0, row.last_at);
    }
    return { byKind, lastAt };
  }
}
