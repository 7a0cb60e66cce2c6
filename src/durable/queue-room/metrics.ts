// What the room knows for the operators' metrics. Bounded work at any line
// length: counts come from memory, rates from indexes (or a binary search
// over numbers, which rise with arrival time), percentiles from
// tickets_by_wait. Not on the poll path: the ops API shares one call a second
// per isolate across all its viewers.
import { callsPerMinute } from "../shared/rpc-calls";
import { percentiles, type History, type Percentiles } from "./history";
import type { BusyAddresses } from "./addresses";
import type { OriginFailureCounts } from "./origin-failures";
import type { RoomState } from "./state";
import type { RoomMetrics } from "./types";

/** Up to this many called tickets, wait percentiles are exact on every metrics call; beyond, at most every PERCENTILES_EVERY_MS. */
const PERCENTILES_EXACT_UP_TO = 20_000;
const PERCENTILES_EVERY_MS = 5_000;

export class Metrics {
  private waitCache: (Percentiles & { called: number; at: number }) | null = null;

  constructor(
    private readonly state: RoomState,
    private readonly history: History,
    private readonly originFailures: OriginFailureCounts,
    private readonly busyAddresses: BusyAddresses,
  ) {}

  read(now: number): RoomMetrics {
    const { state, history } = this;
    const r = state.room!;
    const c = r.config;
    history.calls.flush();
    const minute = Math.floor(now / 60_000);
    const totals = state.sql
      .exec<{ lapses: number | null; rpc: number | null }>("SELECT SUM(no_shows) AS lapses, SUM(rpc_calls) AS rpc FROM minutes")
      .one();
    const recent = new Map(
      state.sql
        .exec<{ minute: number; rpc_calls: number }>("SELECT minute, rpc_calls FROM minutes WHERE minute IN (?, ?)", minute - 1, minute)
        .toArray()
        .map((row) => [row.minute, row.rpc_calls]),
    );
    const wait = this.waitPercentiles(now);
    const phase = state.phase(now);
    // After closing, nobody waits for a call any more: the line's gauges drop
    // to 0 (an "oldest waiting" alert must not fire after a normal close).
    const closed = phase === "closed";
    const outbox = state.outbox.stats();
    return {
      event: c.id,
      generatedAt: now,
      phase,
      paused: r.paused,
      opensAt: c.opensAt,
      closedAt: r.closedAt,
      closedReason: r.closedReason,
      configVersion: r.configVersion,
      settings: {
        quota: c.quota,
        maxActive: c.maxActive,
        admitPerMinute: c.admitPerMinute,
        overbook: c.overbook,
        admissionSeconds: c.admissionSeconds,
        noShowGraceSeconds: c.noShowGraceSeconds,
      },
      entered: r.nextNumber - 1,
      servingNumber: r.servingNumber,
      tickets: {
        waiting: closed ? 0 : state.waiting(),
        requeued: closed ? 0 : state.count("requeued"),
        called: state.count("called"),
        admitted: state.count("admitted"),
        active: state.active(),
        used: state.count("used"),
        released: state.count("released"),
        expired: state.count("expired"),
        noShows: state.count("no_show"),
        left: state.count("left"),
      },
      waitingAtClose: closed ? state.waiting() : null,
      noShowLapses: totals.lapses ?? 0,
      lastMinute: { arrivals: history.arrivalsSince(now - 60_000), calls: history.callsSince(now - 60_000) },
      wait: { called: state.calledEver, p50Seconds: wait.p50, p95Seconds: wait.p95 },
      oldestWaiting: closed ? null : this.oldestWaiting(now),
      accepted: r.accepted,
      rpcCalls: { perMinute: callsPerMinute(now, recent.get(minute) ?? 0, recent.get(minute - 1) ?? 0), total: totals.rpc ?? 0 },
      outboxPending: outbox.pending,
      outboxFailing: outbox.failing,
      originFailures: this.originFailures.read(),
      busiestAddresses: this.busyAddresses.busiest(now),
    };
  }

  private oldestWaiting(now: number): RoomMetrics["oldestWaiting"] {
    let oldest: { number: number; entered_at: number } | undefined;
    for (const ticketState of ["requeued", "waiting"] as const) {
      const row = this.state.sql
        .exec<{ number: number; entered_at: number }>("SELECT number, entered_at FROM tickets WHERE state = ? ORDER BY number LIMIT 1", ticketState)
        .toArray()[0];
      if (row && (!oldest || row.number < oldest.number)) oldest = row;
    }
    return oldest ? { number: oldest.number, waitingSeconds: Math.max(0, Math.floor((now - oldest.entered_at) / 1000)) } : null;
  }

  /**
   * Median and 95th percentile of the wait from entering to being called
   * (seconds), by nearest rank over every ticket called so far, read from
   * tickets_by_wait. Past PERCENTILES_EXACT_UP_TO called tickets, recomputed
   * at most every PERCENTILES_EVERY_MS (OFFSET walks the index).
   */
  private waitPercentiles(now: number): Percentiles {
    const n = this.state.calledEver;
    const cached = this.waitCache;
    if (cached && (cached.called === n || (n > PERCENTILES_EXACT_UP_TO && now - cached.at < PERCENTILES_EVERY_MS))) return cached;
    const wait = percentiles(n, (rank) => {
      const row = this.state.sql
        .exec<{ w: number }>(
          "SELECT called_at - entered_at AS w FROM tickets WHERE called_at IS NOT NULL ORDER BY called_at - entered_at LIMIT 1 OFFSET ?",
          rank - 1,
        )
        .toArray()[0];
      return row ? Math.round(row.w / 1000) : null;
    });
    this.waitCache = { called: n, at: now, ...wait };
    return this.waitCache;
  }
}
