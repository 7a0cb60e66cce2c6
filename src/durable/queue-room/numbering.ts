// Numbering: arrivals take the next numbers, 1, 2, 3… with no gap and no
// repeat (invariant 5), and nothing is numbered before the opening or after
// the closing (invariant 6). Before the opening, a pre-queue takes them.
import { newTicketId } from "../../auth/ticket";
import type { History } from "./history";
import { spendPuzzle, type Prequeue } from "./prequeue";
import type { RoomState } from "./state";
import type { Arrival, EnterResult, TicketState } from "./types";

export class Numbering {
  constructor(
    private readonly state: RoomState,
    private readonly history: History,
    private readonly prequeue: Prequeue,
  ) {}

  /**
   * Takes numbers for a batch of arrivals, in the batch's order. Idempotent per
   * ticket: a ticket already in the line keeps its number. A ticket that left
   * gets a new ticket id and a new number at the back. Refused before opening
   * (unless the pre-queue is open) and after closing.
   */
  enter(arrivals: Arrival[], now: number): EnterResult[] {
    const state = this.state;
    const room = state.room!;
    const phase = state.phase(now);
    if (phase === "closed" || (phase === "before_open" && !this.prequeue.isOpen(now))) {
      const reason = phase === "closed" ? "closed" : "not_open";
      return arrivals.map(() => ({ ok: false, reason, opensAt: room.config.opensAt }));
    }
    if (phase === "before_open") return this.prequeue.enter(arrivals, now);
    const numbered = room.nextNumber;
    const results = this.enterFresh(arrivals, now) ?? this.enterOneByOne(arrivals, now);
    state.moved(null, "waiting", room.nextNumber - numbered);
    return results;
  }

  /**
   * The common batch: only fresh arrivals (ids the Worker has just drawn: its
   * millisecond and 80 random bits), no puzzle to spend. One statement numbers
   * them all in the batch's order (an INSERT per row costs about twice as
   * much in workerd), and it is all the call writes: the next number and the
   * minute's arrivals are read back from the tickets (RoomState.load,
   * History.copy), so a call of one arrival dirties only the tickets' pages.
   * A statement is atomic: if any id is in the line already (a batch sent
   * again) it fails whole, nothing is written, and the batch goes one by one.
   */
  private enterFresh(arrivals: Arrival[], now: number): EnterResult[] | null {
    if (!arrivals.every((a) => a.fresh && a.powId === undefined)) return null;
    const room = this.state.room!;
    const first = room.nextNumber;
    const ids = arrivals.map((a) => a.ticketId);
    try {
      this.state.sql.exec(
        `INSERT INTO tickets (number, ticket_id, entered_at, state)
         SELECT ? + key, value, ?, 'waiting' FROM json_each(?)`,
        first,
        now,
        JSON.stringify(ids),
      );
    } catch (e) {
      if (e instanceof Error && e.message.includes("UNIQUE constraint failed: tickets.ticket_id")) return null;
      throw e;
    }
    room.nextNumber = first + ids.length;
    this.history.numbered();
    return ids.map((ticketId, i) => ({ ok: true, ticketId, number: first + i, created: true }));
  }

  /** Any batch: each arrival looked up, numbered or recognised in turn. */
  private enterOneByOne(arrivals: Arrival[], now: number): EnterResult[] {
    const state = this.state;
    const sql = state.sql;
    const room = state.room!;
    let created = 0;
    return state.storage.transactionSync(() => {
      const out: EnterResult[] = [];
      const lookup = (ticketId: string) =>
        sql.exec<{ number: number; state: TicketState }>("SELECT number, state FROM tickets WHERE ticket_id = ?", ticketId).toArray()[0];
      for (const { ticketId, powId, fresh } of arrivals) {
        // A fresh id skips the lookup; if it is in the line after all (a batch sent
        // again after its sender was cancelled), the insert below finds it.
        let existing = fresh ? undefined : lookup(ticketId);
        if (existing && existing.state !== "left") {
          out.push({ ok: true, ticketId, number: existing.number, created: false });
          continue;
        }
        const id = existing ? newTicketId() : ticketId;
        const number = room.nextNumber + created;
        const inserted = sql
          .exec("INSERT INTO tickets (number, ticket_id, entered_at, state) VALUES (?, ?, ?, 'waiting') ON CONFLICT (ticket_id) DO NOTHING RETURNING number", number, id, now)
          .toArray().length;
        if (inserted === 0) {
          existing = lookup(id)!;
          out.push({ ok: true, ticketId: id, number: existing.number, created: false });
          continue;
        }
        if (!spendPuzzle(sql, powId, now)) {
          sql.exec("DELETE FROM tickets WHERE number = ?", number);
          out.push({ ok: false, reason: "pow_reused", opensAt: room.config.opensAt });
          continue;
        }
        created += 1;
        out.push({ ok: true, ticketId: id, number, created: true });
      }
      if (created > 0) {
        room.nextNumber += created;
        this.history.numbered();
      }
      return out;
    });
  }
}
