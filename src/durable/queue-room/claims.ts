// A ticket after its call: its status, its claim (the admission the Worker
// signs), and the ends of an admission (the holder leaves, the origin
// releases it, the QuotaCounter reports it used). Each returns what the
// room's alarm must now cover; the class reschedules.
import { newJti } from "../../auth/ticket";
import type { DeviceClass } from "../../domain/device";
import type { History } from "./history";
import type { Prequeue } from "./prequeue";
import type { RoomState } from "./state";
import type { Tick } from "./tick";
import type { Admission, ClaimResult, ClaimRow, TicketRow, TicketState, TicketStatus } from "./types";

/** The times every admission of one claim batch shares, to the second. */
interface AdmissionTimes {
  iat: number;
  exp: number;
  /** When the admission expires, on the room's clock. */
  deadline: number;
}

interface ClaimBatch {
  results: ClaimResult[];
  /** A no-show came back: the next tick may call it. */
  requeued: boolean;
  /** When the batch's new admissions expire (room clock); null if it made none. */
  expiresAt: number | null;
}

/** States a ticket does not leave: leaving changes nothing. */
const ENDED: readonly TicketState[] = ["used", "released", "expired", "left"];

export class Claims {
  constructor(
    private readonly state: RoomState,
    private readonly history: History,
    private readonly prequeue: Prequeue,
    private readonly tick: Tick,
  ) {}

  /**
   * The state of one ticket, for the few polls the snapshot cannot answer (a
   * number at or below the cursor). A no-show who comes back is requeued here.
   */
  status(ticketId: string, now: number): { status: TicketStatus; requeued: boolean } {
    const state = this.state;
    let row = this.ticket(ticketId);
    if (!row) {
      const waiting = this.prequeue.find(ticketId);
      if (waiting) return { status: { found: true, state: "waiting", number: 0, deadline: null, requeuedAhead: 0, prequeue: waiting }, requeued: false };
      return { status: { found: false, state: null, number: 0, deadline: null, requeuedAhead: 0 }, requeued: false };
    }
    if (row.state === "called" && row.deadline! <= now) row = this.tick.lapse(row, now);
    const requeued = row.state === "no_show" && state.phase(now) === "open";
    if (requeued) row = this.tick.requeue(row, now);
    const requeuedAhead =
      row.state === "requeued"
        ? state.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tickets WHERE state = 'requeued' AND number < ?", row.number).one().n
        : 0;
    return { status: { found: true, state: row.state, number: row.number, deadline: row.deadline, requeuedAhead }, requeued };
  }

  /**
   * Claims in order, in one transaction: one read of the batch's tickets, one
   * write of its admissions (two statements per batch rather than two per
   * claim). Single and idempotent: claiming again while admitted returns the
   * same jti and times.
   */
  claim(claims: { ticketId: string; device: DeviceClass }[], now: number): ClaimBatch {
    const state = this.state;
    const room = state.room!;
    // Token times are wall-clock seconds; deadlines are on this object's clock (equal but for the test seam).
    const iat = Math.floor((now - room.clockOffsetMs) / 1000);
    const exp = iat + room.config.admissionSeconds;
    const times: AdmissionTimes = { iat, exp, deadline: exp * 1000 + room.clockOffsetMs };
    let requeued = false;
    let admissions = 0;
    const results = state.storage.transactionSync(() => {
      const rows = this.ticketsById(claims.map((c) => c.ticketId));
      const admitted: [number, string, DeviceClass][] = [];
      const out = claims.map(({ ticketId, device }) => {
        const { result, change, row } = this.claimOne(rows.get(ticketId), ticketId, device, now, times);
        // A ticket named twice in one batch (two tabs) finds what its first claim did.
        if (row) rows.set(ticketId, row);
        if (change === "admitted" && result.ok) admitted.push([result.number, result.jti, device]);
        if (change === "requeued") requeued = true;
        return result;
      });
      if (admitted.length > 0) {
        state.sql.exec(
          `UPDATE tickets SET state = 'admitted', deadline = ?, jti = a.value ->> 1, device = a.value ->> 2
           FROM json_each(?) AS a WHERE tickets.number = a.value ->> 0`,
          times.deadline,
          JSON.stringify(admitted),
        );
        state.moved("called", "admitted", admitted.length);
        this.history.bump(now, "admissions", admitted.length);
        admissions = admitted.length;
      }
      return out;
    });
    return { results, requeued, expiresAt: admissions > 0 ? times.deadline : null };
  }

  /** What a claim reads of the rows of `ids` that are in the line, by ticket id: one statement for a batch. */
  private ticketsById(ids: string[]): Map<string, ClaimRow> {
    // Rows as arrays (raw), made into objects here: one literal shape, where
    // the cursor's objects are built a property at a time.
    const rows = this.state.sql
      .exec<ClaimRow>(
        `SELECT t.number, t.ticket_id, t.state, t.deadline, t.jti, t.device
         FROM json_each(?) AS i JOIN tickets AS t ON t.ticket_id = i.value`,
        JSON.stringify(ids),
      )
      .raw();
    const byId = new Map<string, ClaimRow>();
    for (const [number, ticket_id, state, deadline, jti, device] of rows) {
      const row = { number, ticket_id, state, deadline, jti, device } as ClaimRow;
      byId.set(row.ticket_id, row);
    }
    return byId;
  }

  /**
   * One claim's outcome from its ticket's row. An admission is returned, not
   * written: `claim` writes the batch's together (`change: "admitted"`, and
   * `row` as it will be). A lapse or a requeue is written at once.
   */
  private claimOne(
    found: ClaimRow | undefined,
    ticketId: string,
    device: DeviceClass,
    now: number,
    times: AdmissionTimes,
  ): { result: ClaimResult; change?: "admitted" | "requeued"; row?: ClaimRow } {
    const room = this.state.room!;
    let row = found;
    if (!row) return { result: { ok: false, reason: this.prequeue.find(ticketId) ? "not_your_turn" : "bad_ticket" } };
    if (this.state.phase(now) === "closed") return { result: { ok: false, reason: "closed" } };
    if (row.state === "called" && row.deadline! <= now) row = this.tick.lapse(row, now);
    switch (row.state) {
      case "waiting":
      case "requeued":
        return { result: { ok: false, reason: "not_your_turn" }, row };
      case "no_show":
        return { result: { ok: false, reason: "not_your_turn" }, change: "requeued", row: this.tick.requeue(row, now) };
      case "left":
        return { result: { ok: false, reason: "ticket_left" }, row };
      case "admitted":
        if (row.deadline! > now) {
          // The same admission again: same jti, same expiry.
          const exp = Math.floor((row.deadline! - room.clockOffsetMs) / 1000);
          const iat = exp - room.config.admissionSeconds;
          return { result: { ok: true, ticketId, number: row.number, jti: row.jti!, iat, exp, device: row.device as DeviceClass }, row };
        }
        return { result: { ok: false, reason: "turn_lost" }, row };
      case "called": {
        const { iat, exp, deadline } = times;
        const jti = newJti(now);
        const admitted: ClaimRow = { ...row, state: "admitted", deadline, jti, device };
        return { result: { ok: true, ticketId, number: row.number, jti, iat, exp, device }, change: "admitted", row: admitted };
      }
      default:
        return { result: { ok: false, reason: "turn_lost" }, row };
    }
  }

  /** Gives up a number; `freed`: a ticket left the line (a called or admitted place is freed at once). */
  leave(ticketId: string, now: number): { result: { ok: boolean; jti: string | null }; freed: boolean } {
    const state = this.state;
    const row = this.ticket(ticketId);
    if (!row) return { result: { ok: this.prequeue.leave(ticketId), jti: null }, freed: false };
    if (ENDED.includes(row.state)) return { result: { ok: true, jti: null }, freed: false };
    state.storage.transactionSync(() => {
      state.sql.exec("UPDATE tickets SET state = 'left', ended_at = ? WHERE number = ?", now, row.number);
      this.history.bump(now, "left_count");
    });
    state.moved(row.state, "left");
    // The admission's jti, to revoke at the QuotaCounter.
    return { result: { ok: true, jti: row.state === "admitted" ? row.jti : null }, freed: true };
  }

  /** Ends an admission early (the origin's command); `freed`: its place was freed now. */
  release(admission: Admission, now: number): { result: { ok: boolean; state: TicketState | null }; freed: boolean } {
    const row = this.admissionRow(admission);
    if (!row) return { result: { ok: false, state: null }, freed: false };
    if (row.state !== "admitted") return { result: { ok: true, state: row.state }, freed: false };
    this.state.storage.transactionSync(() => {
      this.state.sql.exec("UPDATE tickets SET state = 'released', ended_at = ? WHERE number = ?", now, row.number);
    });
    this.state.moved("admitted", "released");
    return { result: { ok: true, state: "released" }, freed: true };
  }

  /**
   * The QuotaCounter's word that an admission was used for an accepted
   * submission, with the accepted total. Both change in one step, so
   * active + accepted never drops below the truth (the quota-aware cap).
   * Deliveries may repeat or arrive out of order: the count only grows,
   * unless it is `absolute` (the counter freed places: unpaid submissions,
   * when the event allows it).
   */
  noteAccepted(admission: Admission | null, acceptedTotal: number, absolute: boolean, now: number): void {
    const state = this.state;
    const room = state.room!;
    const row = admission ? this.admissionRow(admission) : undefined;
    const wasActive = row && (row.state === "admitted" || row.state === "expired" || row.state === "released");
    state.storage.transactionSync(() => {
      if (row && wasActive) {
        state.sql.exec("UPDATE tickets SET state = 'used', ended_at = ? WHERE number = ?", now, row.number);
        this.history.bump(now, "used");
      }
      room.accepted = absolute ? acceptedTotal : Math.max(room.accepted, acceptedTotal);
      state.save();
    });
    if (row && wasActive) state.moved(row.state, "used");
    state.snap = null;
  }

  private ticket(ticketId: string): TicketRow | undefined {
    return this.state.sql.exec<TicketRow>("SELECT * FROM tickets WHERE ticket_id = ?", ticketId).toArray()[0];
  }

  /**
   * An admission's ticket row, by its number and jti. Without a number (an
   * acceptance queued by a QuotaCounter before numbers were sent along) the
   * jti alone finds it, through tickets_by_jti: rare, and never on a hot path.
   */
  private admissionRow({ jti, number }: Admission): TicketRow | undefined {
    const sql = this.state.sql;
    const rows = number === null ? sql.exec<TicketRow>("SELECT * FROM tickets WHERE jti = ?", jti) : sql.exec<TicketRow>("SELECT * FROM tickets WHERE number = ? AND jti = ?", number, jti);
    return rows.toArray()[0];
  }
}
