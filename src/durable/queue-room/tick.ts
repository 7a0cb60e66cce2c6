// The admission tick (the room's alarm): lapses of unclaimed calls, expiries
// of admissions, then calls under the admission policy; the moves a claim or
// a poll makes on its own ticket (a lapse, a requeue); and when the alarm
// must next run.
import { EXPIRY_MARGIN_MS, callBudget } from "../../domain/admission";
import type { History } from "./history";
import type { RoomState } from "./state";
import type { TicketRow } from "./types";

/** The alarm's period while numbers wait to be called. */
export const TICK_MS = 1_000;

export class Tick {
  constructor(
    private readonly state: RoomState,
    private readonly history: History,
  ) {}

  /**
   * One tick, in one transaction: called numbers past their grace lapse,
   * admissions past their expiry (and its margin) free their place, then
   * returning no-shows and the line are called, in number order, within the
   * budget the policy allows (domain/admission.ts). Idempotent if run twice.
   */
  run(now: number): void {
    const { state, history } = this;
    const sql = state.sql;
    const room = state.room!;
    const c = room.config;
    state.storage.transactionSync(() => {
      const noShows = sql
        .exec("UPDATE tickets SET state = 'no_show', ended_at = ? WHERE state = 'called' AND deadline <= ? RETURNING number", now, now)
        .toArray().length;
      state.moved("called", "no_show", noShows);
      history.bump(now, "no_shows", noShows);
      const expired = sql
        .exec(
          "UPDATE tickets SET state = 'expired', ended_at = ? WHERE state = 'admitted' AND deadline <= ? RETURNING number",
          now,
          now - EXPIRY_MARGIN_MS,
        )
        .toArray().length;
      state.moved("admitted", "expired", expired);
      history.bump(now, "expired", expired);

      if (state.phase(now) !== "open" || room.paused) return;
      let budget = callBudget({
        active: state.active(),
        accepted: room.accepted,
        callsLastMinute: history.callsSince(now - 60_000),
        maxActive: c.maxActive,
        admitPerMinute: c.admitPerMinute,
        quota: c.quota,
        overbook: c.overbook,
      });
      if (budget === 0) return;
      const deadline = now + c.noShowGraceSeconds * 1000;
      // Returning no-shows first, in number order; then the line, in number order.
      const recalled = sql
        .exec(
          `UPDATE tickets SET state = 'called', called_at = ?, deadline = ?
           WHERE number IN (SELECT number FROM tickets WHERE state = 'requeued' ORDER BY number LIMIT ?) RETURNING number`,
          now,
          deadline,
          budget,
        )
        .toArray().length;
      state.moved("requeued", "called", recalled);
      budget -= recalled;
      const called = sql
        .exec<{ number: number }>(
          `UPDATE tickets SET state = 'called', called_at = ?, deadline = ?
           WHERE number IN (SELECT number FROM tickets WHERE state = 'waiting' ORDER BY number LIMIT ?) RETURNING number`,
          now,
          deadline,
          budget,
        )
        .toArray();
      state.moved("waiting", "called", called.length);
      state.calledEver += called.length;
      history.bump(now, "calls", recalled + called.length);
      if (called.length > 0) {
        room.servingNumber = called.reduce((max, r) => Math.max(max, r.number), room.servingNumber);
        state.save();
      }
    });
  }

  /** A called ticket past its grace period, found by its holder before the tick did: a no-show. */
  lapse<R extends Pick<TicketRow, "number" | "state">>(row: R, now: number): R {
    this.state.sql.exec("UPDATE tickets SET state = 'no_show', ended_at = ? WHERE number = ?", now, row.number);
    this.history.bump(now, "no_shows");
    this.state.moved("called", "no_show");
    return { ...row, state: "no_show" };
  }

  /** A no-show who came back: called at the next free place, ahead of higher numbers. */
  requeue<R extends Pick<TicketRow, "number" | "state" | "deadline">>(row: R, now: number): R {
    this.state.sql.exec("UPDATE tickets SET state = 'requeued', requeued_at = ?, deadline = NULL WHERE number = ?", now, row.number);
    this.state.moved("no_show", "requeued");
    return { ...row, state: "requeued", deadline: null };
  }

  /**
   * When the alarm must next run, on the real clock (null: no work is due):
   * the next tick while numbers wait, the next lapse or expiry, the opening,
   * an outbox retry, the next history copy.
   */
  nextAlarm(now: number): number | null {
    const { state, history } = this;
    const room = state.room!;
    const candidates: number[] = [];
    const phase = state.phase(now);
    if (phase === "open" && !room.paused && state.waiting() > 0) candidates.push(now + TICK_MS);
    if (state.active() > 0) {
      // Two index lookups (tickets_by_deadline), not a scan of every active ticket.
      const next = "SELECT MIN(deadline) AS at FROM tickets WHERE state = ? AND deadline IS NOT NULL";
      const lapse = state.sql.exec<{ at: number | null }>(next, "called").one().at;
      const expiry = state.sql.exec<{ at: number | null }>(next, "admitted").one().at;
      if (lapse !== null) candidates.push(lapse);
      if (expiry !== null) candidates.push(expiry + EXPIRY_MARGIN_MS);
    }
    if (phase === "before_open" && room.config.opensAt !== null) candidates.push(room.config.opensAt);
    // The outbox is due on the real clock; candidates are on the room's (the test seam may move it).
    const outboxAt = state.outbox.nextDueAt();
    if (outboxAt !== null) candidates.push(outboxAt + room.clockOffsetMs);
    const copyAt = history.nextCopyAt();
    if (copyAt !== null) candidates.push(copyAt);
    if (candidates.length === 0) return null;
    // The alarm runs on the real clock; the test seam's offset is taken off.
    return Math.max(Date.now(), Math.min(...candidates) - room.clockOffsetMs);
  }
}
