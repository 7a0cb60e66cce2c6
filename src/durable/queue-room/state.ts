// The room's state in memory, shared by its pieces: the room's row, the
// tickets counted by state, the last snapshot and the room's clock. Storage
// is the truth: load() rebuilds all of it, and each piece writes a change to
// storage in the same synchronous block as it changes the memory.
import { phaseAt, withDefaults, type Phase } from "../../domain/event";
import type { Outbox } from "../shared/outbox";
import { TICKET_STATES, type RoomRow, type RoomSnapshot, type TicketState } from "./types";

export class RoomState {
  readonly sql: SqlStorage;
  /** The room's row; null until the event is created. */
  room: RoomRow | null = null;
  /** The last snapshot; null once anything it shows may have changed. */
  snap: RoomSnapshot | null = null;
  /** Tickets ever called (called_at set): the count the wait percentiles rank over. */
  calledEver = 0;
  /** Tickets by state: `SELECT state, COUNT(*)`, kept by `moved`. */
  private counts = new Map<TicketState, number>();

  constructor(
    readonly storage: DurableObjectStorage,
    readonly outbox: Outbox,
  ) {
    this.sql = storage.sql;
  }

  load(): void {
    const row = this.sql
      .exec<Omit<RoomRow, "config" | "paused"> & { config: string; paused: number }>(
        `SELECT config, config_version AS configVersion, next_number AS nextNumber, serving_number AS servingNumber, paused,
           closed_at AS closedAt, closed_reason AS closedReason, accepted, clock_offset_ms AS clockOffsetMs
         FROM room WHERE id = 1`,
      )
      .toArray()[0];
    if (row) {
      // Fresh arrivals do not write next_number back (numbering.ts): the highest ticket tells it.
      const highest = this.sql.exec<{ n: number | null }>("SELECT MAX(number) AS n FROM tickets").one().n ?? 0;
      this.room = { ...row, config: withDefaults(JSON.parse(row.config)), paused: row.paused === 1, nextNumber: Math.max(row.nextNumber, highest + 1) };
    }
    this.counts = new Map(TICKET_STATES.map((s) => [s, 0]));
    for (const { state, n } of this.sql.exec<{ state: TicketState; n: number }>("SELECT state, COUNT(*) AS n FROM tickets GROUP BY state")) {
      this.counts.set(state, n);
    }
    this.calledEver = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tickets WHERE called_at IS NOT NULL").one().n;
  }

  save(): void {
    const r = this.room!;
    this.sql.exec(
      `INSERT INTO room (id, config, config_version, next_number, serving_number, paused, closed_at, closed_reason, accepted, clock_offset_ms)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET config = excluded.config, config_version = excluded.config_version,
         next_number = excluded.next_number, serving_number = excluded.serving_number, paused = excluded.paused,
         closed_at = excluded.closed_at, closed_reason = excluded.closed_reason, accepted = excluded.accepted,
         clock_offset_ms = excluded.clock_offset_ms`,
      JSON.stringify(r.config),
      r.configVersion,
      r.nextNumber,
      r.servingNumber,
      r.paused ? 1 : 0,
      r.closedAt,
      r.closedReason,
      r.accepted,
      r.clockOffsetMs,
    );
  }

  /** The room's clock: the real one, moved by the test seam's offset. */
  now(): number {
    return Date.now() + (this.room?.clockOffsetMs ?? 0);
  }

  phase(now: number): Phase {
    const r = this.room!;
    return phaseAt(r.config.opensAt, r.closedAt, now);
  }

  count(state: TicketState): number {
    return this.counts.get(state) ?? 0;
  }

  /** Waiting to be called: the line and the returning no-shows. */
  waiting(): number {
    return this.count("waiting") + this.count("requeued");
  }

  /** Holding a place: called and not yet claimed, or admitted. */
  active(): number {
    return this.count("called") + this.count("admitted");
  }

  /** Records that `n` tickets went from one state to another (from none: new tickets). */
  moved(from: TicketState | null, to: TicketState, n = 1): void {
    if (n === 0) return;
    if (from) this.counts.set(from, this.count(from) - n);
    this.counts.set(to, this.count(to) + n);
    this.snap = null;
  }
}
