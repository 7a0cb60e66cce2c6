// The fair opening: before it, arrivals join a pre-queue without a number;
// at the opening a draw committed to in advance numbers them all, in one
// step, before any later arrival. Also the entry puzzles, each good for one
// arrival.
import { newTicketId } from "../../auth/ticket";
import type { EventConfig } from "../../domain/event";
import { commitmentOf, drawOrder, newSeed, publicIdOf } from "../../domain/fairness";
import type { History } from "./history";
import type { RoomState } from "./state";
import type { Arrival, EnterResult, FairnessRecord, RoomSnapshot } from "./types";

interface Draw {
  seed: string;
  commitment: string;
  committedAt: number;
  shuffledAt: number | null;
  shuffleMs: number | null;
}

/** Records a solved puzzle's id; false if it was already used (one arrival per solution). */
export function spendPuzzle(sql: SqlStorage, powId: string | undefined, now: number): boolean {
  if (powId === undefined) return true;
  if (sql.exec("SELECT 1 FROM pow_used WHERE id = ?", powId).toArray().length > 0) return false;
  sql.exec("INSERT INTO pow_used (id, at) VALUES (?, ?)", powId, now);
  return true;
}

export class Prequeue {
  /** Tickets in the pre-queue (not left): a cache of the prequeue table. */
  private count = 0;
  /** The draw's record: a cache of the fairness table. */
  private draw: Draw | null = null;

  constructor(
    private readonly state: RoomState,
    private readonly history: History,
  ) {}

  load(): void {
    const sql = this.state.sql;
    this.count = sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM prequeue WHERE left = 0").one().n;
    const draw = sql
      .exec<{ seed: string; commitment: string; committed_at: number; shuffled_at: number | null; shuffle_ms: number | null }>("SELECT * FROM fairness WHERE id = 1")
      .toArray()[0];
    this.draw = draw ? { seed: draw.seed, commitment: draw.commitment, committedAt: draw.committed_at, shuffledAt: draw.shuffled_at, shuffleMs: draw.shuffle_ms } : null;
  }

  /** Tickets waiting for the draw (some changes of settings are refused once there are any). */
  get size(): number {
    return this.count;
  }

  /** Whether arrivals join the pre-queue now (it opened, and the draw has not run). */
  isOpen(now: number): boolean {
    const at = this.state.room?.config.prequeueOpensAt ?? null;
    return at !== null && now >= at && this.draw !== null && this.draw.shuffledAt === null;
  }

  /** A ticket waiting in the pre-queue for the draw (not left, not drawn yet). */
  find(ticketId: string): { publicId: string } | null {
    const row = this.state.sql
      .exec<{ public_id: string }>("SELECT public_id FROM prequeue WHERE ticket_id = ? AND left = 0 AND number IS NULL", ticketId)
      .toArray()[0];
    return row ? { publicId: row.public_id } : null;
  }

  /** Pre-queue arrivals: no number yet, a public id for the published draw. Idempotent per ticket. */
  enter(arrivals: Arrival[], now: number): EnterResult[] {
    const fresh = this.enterFresh(arrivals, now);
    if (fresh) return fresh;
    const sql = this.state.sql;
    const opensAt = this.state.room!.config.opensAt;
    let joined = 0;
    const results = this.state.storage.transactionSync(() =>
      arrivals.map(({ ticketId, powId }): EnterResult => {
        const existing = sql.exec<{ public_id: string; left: number }>("SELECT public_id, left FROM prequeue WHERE ticket_id = ?", ticketId).toArray()[0];
        if (existing && existing.left === 0) return { ok: true, ticketId, number: 0, created: false, prequeue: { publicId: existing.public_id } };
        if (!spendPuzzle(sql, powId, now)) return { ok: false, reason: "pow_reused", opensAt };
        const id = existing ? newTicketId() : ticketId;
        const publicId = publicIdOf(id);
        sql.exec("INSERT INTO prequeue (ticket_id, public_id, entered_at) VALUES (?, ?, ?)", id, publicId, now);
        joined += 1;
        return { ok: true, ticketId: id, number: 0, created: true, prequeue: { publicId } };
      }),
    );
    this.count += joined;
    if (joined > 0) this.state.snap = null;
    return results;
  }

  /**
   * The common pre-queue batch, as numbering.ts's for the line: only fresh
   * arrivals, no puzzle to spend, so no lookup; one statement writes them all.
   * Null, with nothing written, if any id is known already (a batch sent
   * again): the batch then goes one by one.
   */
  private enterFresh(arrivals: Arrival[], now: number): EnterResult[] | null {
    if (!arrivals.every((a) => a.fresh && a.powId === undefined)) return null;
    const rows = arrivals.map((a) => [a.ticketId, publicIdOf(a.ticketId)] as const);
    try {
      this.state.sql.exec(
        "INSERT INTO prequeue (ticket_id, public_id, entered_at) SELECT value ->> 0, value ->> 1, ? FROM json_each(?)",
        now,
        JSON.stringify(rows),
      );
    } catch (e) {
      if (e instanceof Error && e.message.includes("UNIQUE constraint failed: prequeue.")) return null;
      throw e;
    }
    this.count += rows.length;
    this.state.snap = null;
    return rows.map(([ticketId, publicId]) => ({ ok: true, ticketId, number: 0, created: true, prequeue: { publicId } }));
  }

  /** Leaves the pre-queue before the draw (out of the draw); false if the ticket is not waiting in it. */
  leave(ticketId: string): boolean {
    if (!this.find(ticketId)) return false;
    this.state.sql.exec("UPDATE prequeue SET left = 1 WHERE ticket_id = ?", ticketId);
    this.count -= 1;
    this.state.snap = null;
    return true;
  }

  /**
   * A pre-queue scheduled: a secret seed is drawn now and its commitment
   * published at once, before anyone can join. Cancelled before it opened:
   * the commitment is withdrawn.
   */
  commit(config: EventConfig, now: number): void {
    const sql = this.state.sql;
    if (config.prequeueOpensAt !== null && !this.draw) {
      const seed = newSeed();
      this.draw = { seed, commitment: commitmentOf(seed), committedAt: now, shuffledAt: null, shuffleMs: null };
      sql.exec("INSERT INTO fairness (id, seed, commitment, committed_at) VALUES (1, ?, ?, ?)", seed, this.draw.commitment, now);
    } else if (config.prequeueOpensAt === null && this.draw && this.draw.shuffledAt === null && this.count === 0) {
      this.draw = null;
      sql.exec("DELETE FROM fairness");
    }
  }

  /**
   * The draw, once, at the opening: every pre-queue ticket gets its number in
   * the order of HMAC-SHA256(seed, publicId), before any later arrival. One
   * synchronous block, so nothing can be numbered in between; measured
   * (shuffle_ms) because it holds the room for its duration.
   */
  drawIfDue(now: number): void {
    const { state } = this;
    const room = state.room;
    if (!room || !this.draw || this.draw.shuffledAt !== null || state.phase(now) === "before_open") return;
    const draw = this.draw;
    const sql = state.sql;
    const started = Date.now();
    const rows = sql.exec<{ ticket_id: string; public_id: string }>("SELECT ticket_id, public_id FROM prequeue WHERE left = 0").toArray();
    const byPublicId = new Map(rows.map((r) => [r.public_id, r.ticket_id]));
    const order = drawOrder(draw.seed, [...byPublicId.keys()]);
    state.storage.transactionSync(() => {
      let number = room.nextNumber;
      for (const publicId of order) {
        // Entered "at the opening": arrival order before it is what the draw replaces.
        sql.exec("INSERT INTO tickets (number, ticket_id, entered_at, state) VALUES (?, ?, ?, 'waiting')", number, byPublicId.get(publicId)!, now);
        number += 1;
      }
      // Drawn: every pre-queue ticket not left now has its number in `tickets`.
      sql.exec("UPDATE prequeue SET number = 0 WHERE left = 0");
      room.nextNumber = number;
      draw.shuffledAt = now;
      draw.shuffleMs = Date.now() - started;
      sql.exec("UPDATE fairness SET shuffled_at = ?, shuffle_ms = ? WHERE id = 1", draw.shuffledAt, draw.shuffleMs);
      state.save();
      this.history.numbered();
    });
    state.moved(null, "waiting", order.length);
    this.count = 0;
  }

  /** What the snapshot shows of the pre-queue (null: strict arrival order). */
  published(config: EventConfig): RoomSnapshot["prequeue"] {
    return config.prequeueOpensAt !== null && this.draw
      ? { opensAt: config.prequeueOpensAt, count: this.count, commitment: this.draw.commitment, shuffled: this.draw.shuffledAt !== null }
      : null;
  }

  /** What anyone may check about the draw: the commitment before, the seed and every number after. */
  fairness(event: string): FairnessRecord {
    const c = this.state.room?.config;
    const draw = this.draw;
    const shuffled = draw?.shuffledAt != null;
    const sql = this.state.sql;
    return {
      event: c?.id ?? event,
      mode: c?.prequeueOpensAt != null || draw ? "prequeue" : "fifo",
      prequeueOpensAt: c?.prequeueOpensAt ?? null,
      opensAt: c?.opensAt ?? null,
      commitment: draw?.commitment ?? null,
      committedAt: draw?.committedAt ?? null,
      seed: shuffled ? draw!.seed : null,
      shuffledAt: draw?.shuffledAt ?? null,
      shuffleMs: draw?.shuffleMs ?? null,
      count: shuffled ? sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM prequeue WHERE number IS NOT NULL").one().n : this.count,
      tickets: shuffled
        ? sql
            .exec<{ public_id: string; number: number }>(
              "SELECT p.public_id, t.number FROM prequeue p JOIN tickets t ON t.ticket_id = p.ticket_id WHERE p.number IS NOT NULL ORDER BY p.public_id",
            )
            .toArray()
            .map((r) => ({ publicId: r.public_id, number: r.number }))
        : null,
    };
  }
}
