// The room's snapshot: the small public state that Workers cache (at most one
// refresh a second each) to answer polls without calling the room
// (invariant 7).
import { powDifficultyFor } from "../../domain/fairness";
import type { History } from "./history";
import type { Prequeue } from "./prequeue";
import type { RoomState } from "./state";
import { TICK_MS } from "./tick";
import type { Snapshot } from "./types";

/** Numbers above the cursor whose holders left, sent in the snapshot (beyond this, positions are approximate). */
const SKIPPED_IN_SNAPSHOT = 5_000;

export class Snapshots {
  constructor(
    private readonly state: RoomState,
    private readonly history: History,
    private readonly prequeue: Prequeue,
  ) {}

  /** The snapshot at `now`: the cached one while nothing changed and no time boundary was crossed. */
  current(event: string, now: number): Snapshot {
    const { state, history } = this;
    const r = state.room;
    if (!r) return { exists: false, event };
    const phase = state.phase(now);
    if (state.snap && now - state.snap.generatedAt < TICK_MS && state.snap.phase === phase) return state.snap;
    const c = r.config;
    const skipped = state.sql
      .exec<{ number: number }>("SELECT number FROM tickets WHERE state = 'left' AND number > ? ORDER BY number LIMIT ?", r.servingNumber, SKIPPED_IN_SNAPSHOT)
      .toArray()
      .map((row) => row.number);
    state.snap = {
      exists: true,
      event: c.id,
      phase,
      opensAt: c.opensAt,
      closedReason: r.closedReason,
      paused: r.paused,
      nextNumber: r.nextNumber,
      servingNumber: r.servingNumber,
      waitingCount: state.waiting(),
      requeuedCount: state.count("requeued"),
      activeCount: state.active(),
      callsLastMinute: history.callsSince(now - 60_000),
      quota: { total: c.quota, accepted: r.accepted, closed: r.closedAt !== null },
      admissionSeconds: c.admissionSeconds,
      noShowGraceSeconds: c.noShowGraceSeconds,
      maxActive: c.maxActive,
      admitPerMinute: c.admitPerMinute,
      overbook: c.overbook,
      banner: c.banner,
      routePolicy: c.routePolicy,
      skipped,
      prequeue: this.prequeue.published(c),
      powDifficulty: powDifficultyFor(c.powDifficulty, c.powAutoRaise, c.powDifficulty > 0 && c.powAutoRaise ? history.arrivalsSince(now - 60_000) : 0),
      configVersion: r.configVersion,
      generatedAt: now,
    };
    return state.snap;
  }
}
