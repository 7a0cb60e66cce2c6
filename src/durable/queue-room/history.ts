// The room's history: counts per minute (arrivals, calls, admissions, …, RPC
// calls) in `minutes`, copied by the alarm to the outbox for D1's
// minute_history, and the rates over the last minute read from the tickets.
import { RpcCalls, type RpcCallStore } from "../shared/rpc-calls";
import type { RoomState } from "./state";
import type { MinuteCount, MinuteRow } from "./types";

/** How often, at most, the alarm copies changed minutes to the outbox (then D1). */
const HISTORY_EVERY_MS = 10_000;

export class History implements RpcCallStore {
  /** The room's RPC calls, kept in `minutes.rpc_calls`. */
  readonly calls = new RpcCalls(this);
  /** Whether some minute changed since the last copy to the outbox, and when that copy was (room clock). */
  private dirty = false;
  private copiedAt = 0;
  /** The gauges the last copy recorded: a copy with the same and nothing dirty writes nothing. */
  private gauges = "";
  /** The highest number whose arrival `minutes` counts (countArrivals). */
  private arrivalsCounted = 0;

  constructor(private readonly state: RoomState) {}

  /** Rebuilds the caches from storage, after the room's state. */
  load(): void {
    const sql = this.state.sql;
    const room = this.state.room;
    // Arrivals are counted into `minutes` when the history is copied: from the last minute counted on.
    const counted = sql.exec<{ m: number | null }>("SELECT MAX(minute) AS m FROM minutes WHERE arrivals > 0").one().m;
    this.arrivalsCounted = room && counted !== null ? this.firstNumberAfter(counted * 60_000 - 1) - 1 : 0;
    this.dirty = sql.exec("SELECT 1 FROM minutes WHERE dirty = 1 LIMIT 1").toArray().length > 0 || (room !== null && this.arrivalsCounted < room.nextNumber - 1);
  }

  /** Adds `n` to one count of the minute of `now`. */
  bump(now: number, field: MinuteCount, n = 1): void {
    if (n === 0) return;
    this.state.sql.exec(
      `INSERT INTO minutes (minute, ${field}, dirty) VALUES (?, ?, 1)
       ON CONFLICT (minute) DO UPDATE SET ${field} = ${field} + excluded.${field}, dirty = 1`,
      Math.floor(now / 60_000),
      n,
    );
    this.dirty = true;
  }

  /** New tickets were numbered without a write to `minutes`: the next copy counts them. */
  numbered(): void {
    this.dirty = true;
  }

  addRpcCalls(minute: number, calls: number): boolean {
    this.bump(minute * 60_000, "rpc_calls", calls);
    return true;
  }

  /** When the next copy is due (room clock); null while nothing changed. */
  nextCopyAt(): number | null {
    return this.dirty ? this.copiedAt + HISTORY_EVERY_MS : null;
  }

  /** The alarm's copy, at most every HISTORY_EVERY_MS. */
  copyIfDue(now: number): void {
    if (now - this.copiedAt >= HISTORY_EVERY_MS) this.state.storage.transactionSync(() => this.copy(now));
  }

  /**
   * Copies the minutes that changed since the last copy to the outbox, with
   * absolute values (the D1 upsert is idempotent). The current minute also
   * records the line's gauges (waiting, active) as they stand now. Runs inside
   * the caller's transaction.
   */
  copy(now: number): void {
    const { sql, outbox } = this.state;
    const room = this.state.room!;
    const minute = Math.floor(now / 60_000);
    // Once closed, nobody waits for a call: the gauge drops to 0, as in the live metrics.
    const waiting = this.state.phase(now) === "closed" ? 0 : this.state.waiting();
    const active = this.state.active();
    const gauges = `${minute}:${waiting}:${active}`;
    this.calls.flush();
    this.countArrivals();
    if (!this.dirty && gauges === this.gauges) return;
    sql.exec(
      `INSERT INTO minutes (minute, waiting, active, dirty) VALUES (?, ?, ?, 1)
       ON CONFLICT (minute) DO UPDATE SET waiting = excluded.waiting, active = excluded.active, dirty = 1`,
      minute,
      waiting,
      active,
    );
    for (const row of sql.exec<MinuteRow>("SELECT * FROM minutes WHERE dirty = 1 ORDER BY minute").toArray()) {
      const wait = this.minuteWaitPercentiles(row.minute);
      outbox.add(
        {
          kind: "minute",
          payload: {
            eventId: room.config.id,
            minute: row.minute,
            arrivals: row.arrivals,
            calls: row.calls,
            admissions: row.admissions,
            used: row.used,
            expired: row.expired,
            noShows: row.no_shows,
            left: row.left_count,
            // A minute the alarm never sampled (no copy ran during it) gets the gauges of this copy.
            waiting: row.waiting ?? waiting,
            active: row.active ?? active,
            waitP50Ms: wait.p50,
            waitP95Ms: wait.p95,
            doCallsRoom: row.rpc_calls,
            updatedAt: now,
          },
        },
        Date.now(),
      );
    }
    sql.exec("UPDATE minutes SET dirty = 0 WHERE dirty = 1");
    this.dirty = false;
    this.copiedAt = now;
    this.gauges = gauges;
  }

  /** Tickets called after `since`. */
  callsSince(since: number): number {
    return this.state.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tickets WHERE called_at > ?", since).one().n;
  }

  /** Arrivals after `since`. */
  arrivalsSince(since: number): number {
    return this.state.room!.nextNumber - this.firstNumberAfter(since);
  }

  /**
   * The first number entered after `since` (nextNumber if none): numbers rise
   * with arrival time (the draw numbers its tickets at the opening, before
   * any later arrival), so a binary search over numbers finds it.
   */
  private firstNumberAfter(since: number): number {
    let lo = 1;
    let hi = this.state.room!.nextNumber;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const entered = this.enteredAt(mid);
      if (entered !== null && entered > since) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private enteredAt(number: number): number | null {
    const row = this.state.sql.exec<{ entered_at: number }>("SELECT entered_at FROM tickets WHERE number = ?", number).toArray()[0];
    return row ? row.entered_at : null;
  }

  /**
   * Writes into `minutes` the arrivals of every minute since the last count,
   * from the tickets themselves (absolute counts, so a second count changes
   * nothing): entering writes only its tickets. Runs inside the caller's transaction.
   */
  private countArrivals(): void {
    const last = this.state.room!.nextNumber - 1;
    if (last <= this.arrivalsCounted) return;
    const minuteOf = (n: number) => {
      const entered = this.enteredAt(n);
      return entered === null ? null : Math.floor(entered / 60_000);
    };
    // Minute by minute from the first uncounted arrival's, skipping minutes nobody arrived in.
    let minute = minuteOf(this.arrivalsCounted + 1);
    let first = minute === null ? last + 1 : this.firstNumberAfter(minute * 60_000 - 1);
    while (minute !== null && first <= last) {
      const next = this.firstNumberAfter((minute + 1) * 60_000 - 1);
      this.state.sql.exec(
        `INSERT INTO minutes (minute, arrivals, dirty) VALUES (?, ?, 1)
         ON CONFLICT (minute) DO UPDATE SET arrivals = excluded.arrivals, dirty = 1`,
        minute,
        next - first,
      );
      if (next > last) break;
      minute = minuteOf(next);
      first = next;
    }
    this.arrivalsCounted = last;
  }

  /** Wait percentiles (ms) for the calls of one minute (at most that minute's calls are sorted). */
  private minuteWaitPercentiles(minute: number): Percentiles {
    const sql = this.state.sql;
    const from = minute * 60_000;
    const to = from + 60_000;
    const n = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tickets WHERE called_at >= ? AND called_at < ?", from, to).one().n;
    return percentiles(n, (rank) =>
      sql
        .exec<{ w: number }>(
          "SELECT called_at - entered_at AS w FROM tickets WHERE called_at >= ? AND called_at < ? ORDER BY w LIMIT 1 OFFSET ?",
          from,
          to,
          rank - 1,
        )
        .one().w,
    );
  }
}

export interface Percentiles {
  p50: number | null;
  p95: number | null;
}

/** The median and 95th percentile of `n` values by nearest rank; `at(rank)` reads the value of a 1-based rank. */
export function percentiles(n: number, at: (rank: number) => number | null): Percentiles {
  if (n === 0) return { p50: null, p95: null };
  return { p50: at(nearestRank(n, 50)), p95: at(nearestRank(n, 95)) };
}

/** The 1-based rank of the p-th percentile among n values (nearest-rank method). */
function nearestRank(n: number, p: number): number {
  return Math.max(1, Math.ceil((p / 100) * n));
}
