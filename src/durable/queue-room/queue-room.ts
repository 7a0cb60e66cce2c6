// QueueRoom: one Durable Object per event. It numbers arrivals in order,
// calls them under the admission policy on its alarm tick, records claims,
// and publishes a small snapshot that Workers cache to answer polls.
//
// Storage is the truth. Every method below runs its reads and writes in one
// synchronous block (no await between them), so the input and output gates
// make it atomic and durable before the reply leaves. Fields in memory are
// caches rebuilt from storage in the constructor.
import { DurableObject } from "cloudflare:workers";
import { newJti, newTicketId } from "../../auth/ticket";
import { EXPIRY_MARGIN_MS, callBudget } from "../../domain/admission";
import type { DeviceClass } from "../../domain/device";
import {
  applySettings,
  ConfigError,
  defaultEventId,
  withDefaults,
  eventFromVars,
  phaseAt,
  type ClosedReason,
  type EventConfig,
  type EventSettingsPatch,
  type Phase,
  type RoutePolicy,
} from "../../domain/event";
import { commitmentOf, drawOrder, newSeed, powDifficultyFor, publicIdOf } from "../../domain/fairness";
import { validateChange, validateNew } from "../../domain/settings";
import { deliverToD1 } from "../../db/deliver";
import { Faults, type FaultName } from "../shared/faults";
import { Outbox } from "../shared/outbox";

export type TicketState =
  | "waiting" // numbered, not yet called
  | "requeued" // a no-show who came back: called before higher numbers
  | "called" // called, not yet claimed; holds a place until the grace period ends
  | "admitted" // claimed: an admission token is out; holds a place until it expires
  | "used" // submitted (told by the QuotaCounter)
  | "released" // ended early by the origin
  | "expired" // admitted, but the admission time ran out
  | "no_show" // called, not claimed within the grace period
  | "left"; // gave up the number

const STATES: TicketState[] = ["waiting", "requeued", "called", "admitted", "used", "released", "expired", "no_show", "left"];
const TICK_MS = 1_000;
/** 2: minutes gained rpc_calls, gauges and a dirty flag (history copied to D1); tickets gained tickets_by_wait. */
const SCHEMA_VERSION = 2;
/** How often, at most, the alarm copies changed minutes to the outbox (then D1). */
const HISTORY_EVERY_MS = 10_000;
/** Up to this many called tickets, wait percentiles are exact on every metrics call; beyond, at most every PERCENTILES_EVERY_MS. */
const PERCENTILES_EXACT_UP_TO = 20_000;
const PERCENTILES_EVERY_MS = 5_000;
/** Numbers above the cursor whose holders left, sent in the snapshot (beyond this, positions are approximate). */
const SKIPPED_IN_SNAPSHOT = 5_000;

export interface RoomSnapshot {
  exists: true;
  event: string;
  phase: Phase;
  opensAt: number | null;
  closedReason: ClosedReason | null;
  paused: boolean;
  nextNumber: number;
  servingNumber: number;
  waitingCount: number;
  requeuedCount: number;
  activeCount: number;
  callsLastMinute: number;
  quota: { total: number; accepted: number; closed: boolean };
  admissionSeconds: number;
  noShowGraceSeconds: number;
  maxActive: number;
  admitPerMinute: number;
  overbook: number;
  banner: string | null;
  routePolicy: RoutePolicy;
  /** Sorted numbers above the cursor whose holders left. */
  skipped: number[];
  /** The fair opening, when the event has a pre-queue: null keeps strict arrival order. */
  prequeue: { opensAt: number; count: number; commitment: string; shuffled: boolean } | null;
  /** Zero bits the entry puzzle needs now (0: no puzzle). */
  powDifficulty: number;
  configVersion: number;
  generatedAt: number;
}

/** What anyone can check about the pre-queue's draw (GET /guichet/api/fairness). */
export interface FairnessRecord {
  event: string;
  mode: "fifo" | "prequeue";
  prequeueOpensAt: number | null;
  opensAt: number | null;
  commitment: string | null;
  committedAt: number | null;
  /** Revealed once the draw is done. */
  seed: string | null;
  shuffledAt: number | null;
  shuffleMs: number | null;
  /** After the draw: every pre-queue ticket's public id and number, by public id. Before: just the count. */
  count: number;
  tickets: { publicId: string; number: number }[] | null;
}

export type ConfigureResult =
  | { ok: true; before: EventConfig | null; after: EventConfig }
  | { ok: false; reason: "invalid_change"; field: string; detail: string };

export type Snapshot = RoomSnapshot | { exists: false; event: string };

/** What the room knows for the operators' metrics (the ops API adds the QuotaCounter's side). */
export interface RoomMetrics {
  event: string;
  generatedAt: number;
  phase: Phase;
  paused: boolean;
  opensAt: number | null;
  closedAt: number | null;
  closedReason: ClosedReason | null;
  configVersion: number;
  settings: { quota: number; maxActive: number; admitPerMinute: number; overbook: number; admissionSeconds: number; noShowGraceSeconds: number };
  /** Numbers handed out (the last number), and the highest number called. */
  entered: number;
  servingNumber: number;
  /** Tickets by state now; `waiting` includes the returning no-shows (`requeued`). */
  tickets: { waiting: number; requeued: number; called: number; admitted: number; active: number; used: number; released: number; expired: number; noShows: number; left: number };
  /** Calls that lapsed unclaimed, ever (a no-show who came back still counts once per lapse). */
  noShowLapses: number;
  /** Events in the last 60 seconds. */
  lastMinute: { arrivals: number; calls: number };
  /** Wait from entering to being called, over every ticket called so far (nearest-rank percentiles). */
  wait: { called: number; p50Seconds: number | null; p95Seconds: number | null };
  oldestWaiting: { number: number; waitingSeconds: number } | null;
  /** The accepted count as the QuotaCounter last told the room. */
  accepted: number;
  /** RPC calls this object served: a sliding estimate over the last 60 s, and the total since the event began. */
  rpcCalls: { perMinute: number; total: number };
  outboxPending: number;
}

export type EnterResult =
  | { ok: true; ticketId: string; number: number; created: boolean }
  | { ok: true; ticketId: string; number: 0; created: boolean; prequeue: { publicId: string } }
  | { ok: false; reason: "not_open" | "closed" | "unknown_event" | "pow_reused"; opensAt: number | null };

/** One arrival: its ticket id and, when the entry needed a puzzle, the solved challenge's id (single use). */
export interface Arrival {
  ticketId: string;
  powId?: string;
  /** An id the Worker has just drawn (its millisecond and 80 random bits): it cannot be in the line yet, so its lookup is skipped. */
  fresh?: boolean;
}

export type ClaimResult =
  | { ok: true; ticketId: string; number: number; jti: string; iat: number; exp: number; device: DeviceClass }
  | { ok: false; reason: "not_your_turn" | "turn_lost" | "closed" | "ticket_left" | "bad_ticket" | "unknown_event" };

export interface TicketStatus {
  found: boolean;
  state: TicketState | null;
  number: number;
  /** Claim deadline (called) or admission expiry (admitted), epoch ms. */
  deadline: number | null;
  /** For a returning no-show: how many returning no-shows are ahead. */
  requeuedAhead: number;
  /** A ticket in the pre-queue, before the draw: its public id (number is 0 until then). */
  prequeue?: { publicId: string };
}

interface RoomRow {
  config: EventConfig;
  configVersion: number;
  nextNumber: number;
  servingNumber: number;
  paused: boolean;
  closedAt: number | null;
  closedReason: ClosedReason | null;
  accepted: number;
  clockOffsetMs: number;
}

type Minute = "arrivals" | "calls" | "admissions" | "used" | "expired" | "no_shows" | "left_count";

interface MinuteRow {
  [key: string]: SqlStorageValue;
  minute: number;
  arrivals: number;
  calls: number;
  admissions: number;
  used: number;
  expired: number;
  no_shows: number;
  left_count: number;
  rpc_calls: number;
  waiting: number | null;
  active: number | null;
}

export class QueueRoom extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly outbox: Outbox;
  private readonly faults: Faults;
  private room: RoomRow | null = null;
  private counts = new Map<TicketState, number>();
  private snap: RoomSnapshot | null = null;
  private alarmAt: number | null = null;
  /** RPC calls served since this instance started, by method (for metrics and benchmarks). */
  readonly rpcCalls = new Map<string, number>();
  /** RPC calls of the minute `rpcMinute` not yet added to `minutes.rpc_calls` (one write a minute, not one a call). */
  private rpcMinute = 0;
  private rpcPending = 0;
  /** Tickets ever called (called_at set): the count the wait percentiles rank over. */
  private calledEver = 0;
  private waitCache: { called: number; at: number; p50: number | null; p95: number | null } | null = null;
  /** The highest number whose arrival `minutes` counts (countArrivals). */
  private arrivalsCounted = 0;
  /** Whether some minute changed since the history was last copied to the outbox, and when that was (room clock). */
  private historyDirty = false;
  private historyCopiedAt = 0;
  private historyGauges = "";
  /** Tickets in the pre-queue (not left), and the draw's record: caches of the prequeue and fairness tables. */
  private prequeued = 0;
  private draw: { seed: string; commitment: string; committedAt: number; shuffledAt: number | null; shuffleMs: number | null } | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.outbox = new Outbox(this.sql);
    this.faults = new Faults(this.sql, env.ENABLE_TEST_SEAMS === "true");
    void ctx.blockConcurrencyWhile(async () => {
      this.migrate();
      this.load();
      this.alarmAt = await ctx.storage.getAlarm();
      if (!this.room && ctx.id.name !== undefined && ctx.id.name === defaultEventId(env)) await this.seedFromVars();
    });
  }

  private migrate(): void {
    this.sql.exec(`
      CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS room (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        config TEXT NOT NULL,
        config_version INTEGER NOT NULL,
        next_number INTEGER NOT NULL,
        serving_number INTEGER NOT NULL,
        paused INTEGER NOT NULL DEFAULT 0,
        closed_at INTEGER,
        closed_reason TEXT,
        accepted INTEGER NOT NULL DEFAULT 0,
        clock_offset_ms INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS tickets (
        number INTEGER PRIMARY KEY,
        ticket_id TEXT NOT NULL UNIQUE,
        entered_at INTEGER NOT NULL,
        state TEXT NOT NULL,
        called_at INTEGER,
        deadline INTEGER,
        jti TEXT,
        device TEXT,
        requeued_at INTEGER,
        ended_at INTEGER
      );
      CREATE INDEX IF NOT EXISTS tickets_by_state ON tickets(state, number);
      CREATE INDEX IF NOT EXISTS tickets_by_call ON tickets(called_at) WHERE called_at IS NOT NULL;
      -- Admissions are found by number and jti (the token carries both), so no lookup needs this index. A build
      -- that dropped it here (DROP INDEX IF EXISTS) made claims 5-7% dearer in workerd side by side (bench/ab.mjs);
      -- one with neither the index nor the DROP measured the same as this one. Kept: bench/HISTORY.md, round 8.
      CREATE INDEX IF NOT EXISTS tickets_by_jti ON tickets(jti) WHERE jti IS NOT NULL;
      CREATE INDEX IF NOT EXISTS tickets_by_deadline ON tickets(state, deadline) WHERE deadline IS NOT NULL;
      -- The fair opening: pre-queue arrivals wait here, without a number, for the draw.
      CREATE TABLE IF NOT EXISTS prequeue (
        ticket_id TEXT PRIMARY KEY,
        public_id TEXT NOT NULL UNIQUE,
        entered_at INTEGER NOT NULL,
        -- Set (to 0) once drawn; the number itself is in tickets.
        number INTEGER,
        left INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS fairness (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        seed TEXT NOT NULL,
        commitment TEXT NOT NULL,
        committed_at INTEGER NOT NULL,
        shuffled_at INTEGER,
        shuffle_ms INTEGER
      );
      ${Faults.schema};
      -- Solved entry puzzles, by challenge id: each is good for one arrival.
      CREATE TABLE IF NOT EXISTS pow_used (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS minutes (
        minute INTEGER PRIMARY KEY,
        arrivals INTEGER NOT NULL DEFAULT 0,
        calls INTEGER NOT NULL DEFAULT 0,
        admissions INTEGER NOT NULL DEFAULT 0,
        used INTEGER NOT NULL DEFAULT 0,
        expired INTEGER NOT NULL DEFAULT 0,
        no_shows INTEGER NOT NULL DEFAULT 0,
        left_count INTEGER NOT NULL DEFAULT 0,
        rpc_calls INTEGER NOT NULL DEFAULT 0,
        waiting INTEGER,
        active INTEGER,
        dirty INTEGER NOT NULL DEFAULT 0
      );
      ${Outbox.schema}
    `);
    const version = this.sql.exec<{ version: number }>("SELECT version FROM schema_version").toArray()[0];
    if (!version) {
      this.sql.exec("INSERT INTO schema_version (version) VALUES (?)", SCHEMA_VERSION);
    } else if (version.version < 2) {
      this.sql.exec(`
        ALTER TABLE minutes ADD COLUMN rpc_calls INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE minutes ADD COLUMN waiting INTEGER;
        ALTER TABLE minutes ADD COLUMN active INTEGER;
        ALTER TABLE minutes ADD COLUMN dirty INTEGER NOT NULL DEFAULT 0;
        UPDATE schema_version SET version = 2;
      `);
    }
    // Wait percentiles walk this index (ORDER BY … LIMIT 1 OFFSET k) instead of sorting the line in memory.
    this.sql.exec("CREATE INDEX IF NOT EXISTS tickets_by_wait ON tickets((called_at - entered_at)) WHERE called_at IS NOT NULL");
  }

  /** Rebuilds the in-memory caches from storage. */
  private load(): void {
    const row = this.sql
      .exec<{
        config: string;
        config_version: number;
        next_number: number;
        serving_number: number;
        paused: number;
        closed_at: number | null;
        closed_reason: string | null;
        accepted: number;
        clock_offset_ms: number;
      }>("SELECT * FROM room WHERE id = 1")
      .toArray()[0];
    if (row) {
      // Fresh arrivals do not write next_number back (enterFresh): the highest ticket tells it.
      const highest = this.sql.exec<{ n: number | null }>("SELECT MAX(number) AS n FROM tickets").one().n ?? 0;
      this.room = {
        config: withDefaults(JSON.parse(row.config)),
        configVersion: row.config_version,
        nextNumber: Math.max(row.next_number, highest + 1),
        servingNumber: row.serving_number,
        paused: row.paused === 1,
        closedAt: row.closed_at,
        closedReason: row.closed_reason as ClosedReason | null,
        accepted: row.accepted,
        clockOffsetMs: row.clock_offset_ms,
      };
    }
    this.counts = new Map(STATES.map((s) => [s, 0]));
    for (const { state, n } of this.sql.exec<{ state: TicketState; n: number }>("SELECT state, COUNT(*) AS n FROM tickets GROUP BY state")) {
      this.counts.set(state, n);
    }
    this.calledEver = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tickets WHERE called_at IS NOT NULL").one().n;
    this.prequeued = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM prequeue WHERE left = 0").one().n;
    const draw = this.sql
      .exec<{ seed: string; commitment: string; committed_at: number; shuffled_at: number | null; shuffle_ms: number | null }>("SELECT * FROM fairness WHERE id = 1")
      .toArray()[0];
    this.draw = draw ? { seed: draw.seed, commitment: draw.commitment, committedAt: draw.committed_at, shuffledAt: draw.shuffled_at, shuffleMs: draw.shuffle_ms } : null;
    // Arrivals are counted into `minutes` when the history is copied: from the last minute counted on.
    const counted = this.sql.exec<{ m: number | null }>("SELECT MAX(minute) AS m FROM minutes WHERE arrivals > 0").one().m;
    this.arrivalsCounted = this.room && counted !== null ? this.firstNumberAfter(counted * 60_000 - 1) - 1 : 0;
    this.historyDirty =
      this.sql.exec("SELECT 1 FROM minutes WHERE dirty = 1 LIMIT 1").toArray().length > 0 || (this.room !== null && this.arrivalsCounted < this.room.nextNumber - 1);
  }

  private create(config: EventConfig, source: "vars" | "ops" | "test"): void {
    const now = this.now();
    this.room = {
      config,
      configVersion: 1,
      nextNumber: 1,
      servingNumber: 0,
      paused: false,
      closedAt: null,
      closedReason: null,
      accepted: 0,
      clockOffsetMs: 0,
    };
    this.ctx.storage.transactionSync(() => {
      this.saveRoom();
      this.outbox.add("event_version", { eventId: config.id, version: 1, config, source, changedAt: now }, Date.now());
    });
  }

  private saveRoom(): void {
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

  private now(): number {
    return Date.now() + (this.room?.clockOffsetMs ?? 0);
  }

  private count(state: TicketState): number {
    return this.counts.get(state) ?? 0;
  }

  private moved(from: TicketState | null, to: TicketState, n = 1): void {
    if (n === 0) return;
    if (from) this.counts.set(from, this.count(from) - n);
    this.counts.set(to, this.count(to) + n);
    this.snap = null;
  }

  private active(): number {
    return this.count("called") + this.count("admitted");
  }

  private phase(now: number): Phase {
    const r = this.room!;
    return phaseAt(r.config.opensAt, r.closedAt, now);
  }

  private bump(now: number, field: Minute, n = 1): void {
    if (n === 0) return;
    this.sql.exec(
      `INSERT INTO minutes (minute, ${field}, dirty) VALUES (?, ?, 1)
       ON CONFLICT (minute) DO UPDATE SET ${field} = ${field} + excluded.${field}, dirty = 1`,
      Math.floor(now / 60_000),
      n,
    );
    this.historyDirty = true;
  }

  /** Counts an RPC call: in memory, written to `minutes` once the minute turns (or on metrics and history copies). */
  private counted(method: string): void {
    this.rpcCalls.set(method, (this.rpcCalls.get(method) ?? 0) + 1);
    const minute = Math.floor(this.now() / 60_000);
    if (minute !== this.rpcMinute) {
      this.flushRpcCalls();
      this.rpcMinute = minute;
    }
    this.rpcPending += 1;
  }

  private flushRpcCalls(): void {
    if (this.rpcPending === 0) return;
    this.sql.exec(
      `INSERT INTO minutes (minute, rpc_calls, dirty) VALUES (?, ?, 1)
       ON CONFLICT (minute) DO UPDATE SET rpc_calls = rpc_calls + excluded.rpc_calls, dirty = 1`,
      this.rpcMinute,
      this.rpcPending,
    );
    this.rpcPending = 0;
    this.historyDirty = true;
  }

  // ---------------------------------------------------------------- RPC

  /**
   * Creates the event or changes its settings. A change that would break an
   * invariant (quota below the accepted count, …) is refused and changes
   * nothing. With an actor, the change and its audit row are written together.
   * `dryRun` only validates.
   */
  async configure(patch: EventSettingsPatch, source: "ops" | "test" = "ops", actor: string | null = null, dryRun = false): Promise<ConfigureResult> {
    this.counted("configure");
    return this.change(patch, source, actor, dryRun);
  }

  /**
   * The default event at its first access: created from the Worker vars by
   * the very path an operator's PUT takes (a new event's settings are the
   * vars'), so the vars' settings mean what the API's do, the pre-queue's
   * commitment included. Vars that the API would refuse stop the room loudly.
   */
  private async seedFromVars(): Promise<void> {
    const result = await this.change({}, "vars", null, false);
    if (!result.ok) throw new ConfigError(`the Worker vars give an invalid event: ${result.field}: ${result.detail}`);
  }

  /** configure's work: validate, then create or change, commit a scheduled draw, audit, reschedule. */
  private async change(patch: EventSettingsPatch, source: "vars" | "ops" | "test", actor: string | null, dryRun: boolean): Promise<ConfigureResult> {
    const now = this.now();
    const name = this.ctx.id.name;
    if (!name) throw new Error("QueueRoom must be addressed by name (the event id)");
    const before = this.room?.config ?? null;
    // A new event starts from the Worker vars' settings (the default event's, read as the API reads them).
    let base: EventConfig;
    try {
      base = before ?? eventFromVars(this.env, name);
    } catch (e) {
      if (e instanceof ConfigError) return { ok: false, reason: "invalid_change", field: "vars", detail: e.message };
      throw e;
    }
    let after: EventConfig;
    try {
      after = applySettings(base, patch);
    } catch (e) {
      if (e instanceof ConfigError) return { ok: false, reason: "invalid_change", field: "opensAt", detail: e.message };
      throw e;
    }
    const problem =
      before && this.room
        ? validateChange(before, after, { now, accepted: this.room.accepted, numbered: this.room.nextNumber - 1, prequeued: this.prequeued, phase: this.phase(now) })
        : validateNew(after);
    if (problem) return { ok: false, reason: "invalid_change", ...problem };
    if (dryRun) return { ok: true, before, after };
    if (!this.room) {
      this.create(after, source);
    } else {
      const room = this.room;
      room.config = after;
      room.configVersion += 1;
      this.ctx.storage.transactionSync(() => {
        this.saveRoom();
        this.outbox.add("event_version", { eventId: after.id, version: room.configVersion, config: after, source, changedAt: now }, Date.now());
      });
    }
    this.commitDraw(after, now);
    if (actor) this.audit(actor, before ? "event.update" : "event.create", before, after, now);
    this.snap = null;
    await this.schedule(now, true);
    return { ok: true, before, after };
  }

  /**
   * A pre-queue scheduled: a secret seed is drawn now and its commitment
   * published at once, before anyone can join. Cancelled before it opened:
   * the commitment is withdrawn.
   */
  private commitDraw(config: EventConfig, now: number): void {
    if (config.prequeueOpensAt !== null && !this.draw) {
      const seed = newSeed();
      this.draw = { seed, commitment: commitmentOf(seed), committedAt: now, shuffledAt: null, shuffleMs: null };
      this.sql.exec("INSERT INTO fairness (id, seed, commitment, committed_at) VALUES (1, ?, ?, ?)", seed, this.draw.commitment, now);
    } else if (config.prequeueOpensAt === null && this.draw && this.draw.shuffledAt === null && this.prequeued === 0) {
      this.draw = null;
      this.sql.exec("DELETE FROM fairness");
    }
  }

  /**
   * The draw, once, at the opening: every pre-queue ticket gets its number in
   * the order of HMAC-SHA256(seed, publicId), before any later arrival. One
   * synchronous block, so nothing can be numbered in between; measured
   * (shuffle_ms) because it holds the room for its duration.
   */
  private shuffleIfDue(now: number): void {
    const room = this.room;
    if (!room || !this.draw || this.draw.shuffledAt !== null || this.phase(now) === "before_open") return;
    const draw = this.draw;
    const started = Date.now();
    const rows = this.sql.exec<{ ticket_id: string; public_id: string }>("SELECT ticket_id, public_id FROM prequeue WHERE left = 0").toArray();
    const byPublicId = new Map(rows.map((r) => [r.public_id, r.ticket_id]));
    const order = drawOrder(draw.seed, [...byPublicId.keys()]);
    this.ctx.storage.transactionSync(() => {
      let number = room.nextNumber;
      for (const publicId of order) {
        // Entered "at the opening": arrival order before it is what the draw replaces.
        this.sql.exec("INSERT INTO tickets (number, ticket_id, entered_at, state) VALUES (?, ?, ?, 'waiting')", number, byPublicId.get(publicId)!, now);
        number += 1;
      }
      // Drawn: every pre-queue ticket not left now has its number in `tickets`.
      this.sql.exec("UPDATE prequeue SET number = 0 WHERE left = 0");
      room.nextNumber = number;
      draw.shuffledAt = now;
      draw.shuffleMs = Date.now() - started;
      this.sql.exec("UPDATE fairness SET shuffled_at = ?, shuffle_ms = ? WHERE id = 1", draw.shuffledAt, draw.shuffleMs);
      this.saveRoom();
      this.historyDirty = true;
    });
    this.moved(null, "waiting", order.length);
    this.prequeued = 0;
  }

  /** What anyone may check about the draw: the commitment before, the seed and every number after. */
  fairness(): FairnessRecord {
    this.counted("fairness");
    const c = this.room?.config;
    const shuffled = this.draw?.shuffledAt != null;
    return {
      event: c?.id ?? this.ctx.id.name ?? "",
      mode: c?.prequeueOpensAt != null || this.draw ? "prequeue" : "fifo",
      prequeueOpensAt: c?.prequeueOpensAt ?? null,
      opensAt: c?.opensAt ?? null,
      commitment: this.draw?.commitment ?? null,
      committedAt: this.draw?.committedAt ?? null,
      seed: shuffled ? this.draw!.seed : null,
      shuffledAt: this.draw?.shuffledAt ?? null,
      shuffleMs: this.draw?.shuffleMs ?? null,
      count: shuffled
        ? this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM prequeue WHERE number IS NOT NULL").one().n
        : this.prequeued,
      tickets: shuffled
        ? this.sql
            .exec<{ public_id: string; number: number }>(
              "SELECT p.public_id, t.number FROM prequeue p JOIN tickets t ON t.ticket_id = p.ticket_id WHERE p.number IS NOT NULL ORDER BY p.public_id",
            )
            .toArray()
            .map((r) => ({ publicId: r.public_id, number: r.number }))
        : null,
    };
  }

  /** Records an operator action in the outbox; the alarm copies it to D1's audit_log. */
  private audit(actor: string, action: string, before: unknown, after: unknown, now: number): void {
    this.outbox.add("audit", { id: crypto.randomUUID(), eventId: this.room!.config.id, actor, action, before, after, at: now }, Date.now());
  }

  /** RPC calls this instance served, by method (benchmarks read it; not counted itself). */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.rpcCalls);
  }

  /** The event's full configuration (the ops API shows it). */
  settings(): { settings: EventConfig | null } {
    this.counted("settings");
    return { settings: this.room?.config ?? null };
  }

  /** The small public state Workers cache (at most one refresh a second each) to answer polls. */
  snapshot(): Snapshot {
    this.counted("snapshot");
    this.shuffleIfDue(this.now());
    return this.currentSnapshot();
  }

  private currentSnapshot(): Snapshot {
    const name = this.ctx.id.name ?? "";
    if (!this.room) return { exists: false, event: name };
    const now = this.now();
    // A cached snapshot is fresh while nothing changed and no time boundary was crossed.
    if (this.snap && now - this.snap.generatedAt < TICK_MS && this.snap.phase === this.phase(now)) return this.snap;
    const r = this.room;
    const c = r.config;
    const skipped = this.sql
      .exec<{ number: number }>(
        "SELECT number FROM tickets WHERE state = 'left' AND number > ? ORDER BY number LIMIT ?",
        r.servingNumber,
        SKIPPED_IN_SNAPSHOT,
      )
      .toArray()
      .map((row) => row.number);
    this.snap = {
      exists: true,
      event: c.id,
      phase: this.phase(now),
      opensAt: c.opensAt,
      closedReason: r.closedReason,
      paused: r.paused,
      nextNumber: r.nextNumber,
      servingNumber: r.servingNumber,
      waitingCount: this.count("waiting") + this.count("requeued"),
      requeuedCount: this.count("requeued"),
      activeCount: this.active(),
      callsLastMinute: this.callsSince(now - 60_000),
      quota: { total: c.quota, accepted: r.accepted, closed: r.closedAt !== null },
      admissionSeconds: c.admissionSeconds,
      noShowGraceSeconds: c.noShowGraceSeconds,
      maxActive: c.maxActive,
      admitPerMinute: c.admitPerMinute,
      overbook: c.overbook,
      banner: c.banner,
      routePolicy: c.routePolicy,
      skipped,
      prequeue:
        c.prequeueOpensAt !== null && this.draw
          ? { opensAt: c.prequeueOpensAt, count: this.prequeued, commitment: this.draw.commitment, shuffled: this.draw.shuffledAt !== null }
          : null,
      powDifficulty: powDifficultyFor(c.powDifficulty, c.powAutoRaise, c.powDifficulty > 0 && c.powAutoRaise ? this.arrivalsSince(now - 60_000) : 0),
      configVersion: r.configVersion,
      generatedAt: now,
    };
    return this.snap;
  }

  private callsSince(since: number): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tickets WHERE called_at > ?", since).one().n;
  }

  /**
   * Takes numbers for a batch of arrivals, in the batch's order. Idempotent per
   * ticket: a ticket already in the line keeps its number. A ticket that left
   * gets a new ticket id and a new number at the back. Refused before opening
   * and after closing: nothing is numbered outside the intake. `fresh` marks a
   * ticket id the Worker has just drawn (its millisecond and 80 random bits): it cannot be in the
   * line yet, so its lookup is skipped (the UNIQUE constraint still holds).
   */
  async enter(arrivals: Arrival[]): Promise<EnterResult[]> {
    this.counted("enter");
    const now = this.now();
    if (!this.room) return arrivals.map(() => ({ ok: false, reason: "unknown_event", opensAt: null }));
    const room = this.room;
    this.shuffleIfDue(now);
    const phase = this.phase(now);
    if (phase === "closed" || (phase === "before_open" && !this.prequeueOpen(now))) {
      const reason = phase === "closed" ? "closed" : "not_open";
      return arrivals.map(() => ({ ok: false, reason, opensAt: room.config.opensAt }));
    }
    if (phase === "before_open") return this.enterPrequeue(arrivals, now);
    const results = this.enterFresh(arrivals, now) ?? this.enterOneByOne(arrivals, now);
    const created = results.reduce((n, r) => n + (r.ok && r.created ? 1 : 0), 0);
    this.moved(null, "waiting", created);
    if (created > 0) await this.schedule(now);
    return results;
  }

  /**
   * The common batch: only fresh arrivals, no puzzle to spend. One statement
   * numbers them all in the batch's order (an INSERT per row costs about twice
   * as much in workerd), and it is all the call writes: the next number and
   * the minute's arrivals are read back from the tickets (load,
   * countArrivals), so a call of one arrival dirties only the tickets' pages.
   * A statement is atomic: if any id is in the line already (a batch sent
   * again) it fails whole, nothing is written, and the batch goes one by one.
   */
  private enterFresh(arrivals: Arrival[], now: number): EnterResult[] | null {
    if (!arrivals.every((a) => a.fresh && a.powId === undefined)) return null;
    const room = this.room!;
    const first = room.nextNumber;
    const ids = arrivals.map((a) => a.ticketId);
    try {
      this.sql.exec(
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
    this.historyDirty = true;
    return ids.map((ticketId, i) => ({ ok: true, ticketId, number: first + i, created: true }));
  }

  /** Any batch: each arrival looked up, numbered or recognised in turn. */
  private enterOneByOne(arrivals: Arrival[], now: number): EnterResult[] {
    const room = this.room!;
    let created = 0;
    return this.ctx.storage.transactionSync(() => {
      const out: EnterResult[] = [];
      const lookup = (ticketId: string) =>
        this.sql.exec<{ number: number; state: TicketState }>("SELECT number, state FROM tickets WHERE ticket_id = ?", ticketId).toArray()[0];
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
        const inserted = this.sql
          .exec("INSERT INTO tickets (number, ticket_id, entered_at, state) VALUES (?, ?, ?, 'waiting') ON CONFLICT (ticket_id) DO NOTHING RETURNING number", number, id, now)
          .toArray().length;
        if (inserted === 0) {
          existing = lookup(id)!;
          out.push({ ok: true, ticketId: id, number: existing.number, created: false });
          continue;
        }
        if (!this.spendPuzzle(powId, now)) {
          this.sql.exec("DELETE FROM tickets WHERE number = ?", number);
          out.push({ ok: false, reason: "pow_reused", opensAt: room.config.opensAt });
          continue;
        }
        created += 1;
        out.push({ ok: true, ticketId: id, number, created: true });
      }
      if (created > 0) {
        room.nextNumber += created;
        this.saveRoom();
        this.historyDirty = true;
      }
      return out;
    });
  }

  private prequeueOpen(now: number): boolean {
    const at = this.room?.config.prequeueOpensAt ?? null;
    return at !== null && now >= at && this.draw !== null && this.draw.shuffledAt === null;
  }

  /** A ticket waiting in the pre-queue for the draw (not left, not drawn yet). */
  private inPrequeue(ticketId: string): { publicId: string } | null {
    const row = this.sql
      .exec<{ public_id: string }>("SELECT public_id FROM prequeue WHERE ticket_id = ? AND left = 0 AND number IS NULL", ticketId)
      .toArray()[0];
    return row ? { publicId: row.public_id } : null;
  }

  /** Records a solved puzzle's id; false if it was already used (one arrival per solution). */
  private spendPuzzle(powId: string | undefined, now: number): boolean {
    if (powId === undefined) return true;
    if (this.sql.exec("SELECT 1 FROM pow_used WHERE id = ?", powId).toArray().length > 0) return false;
    this.sql.exec("INSERT INTO pow_used (id, at) VALUES (?, ?)", powId, now);
    return true;
  }

  /** Pre-queue arrivals: no number yet, a public id for the published draw. Idempotent per ticket. */
  private enterPrequeue(arrivals: Arrival[], now: number): EnterResult[] {
    const fresh = this.enterPrequeueFresh(arrivals, now);
    if (fresh) return fresh;
    const opensAt = this.room!.config.opensAt;
    let joined = 0;
    const results = this.ctx.storage.transactionSync(() =>
      arrivals.map(({ ticketId, powId }): EnterResult => {
        const existing = this.sql.exec<{ public_id: string; left: number }>("SELECT public_id, left FROM prequeue WHERE ticket_id = ?", ticketId).toArray()[0];
        if (existing && existing.left === 0) return { ok: true, ticketId, number: 0, created: false, prequeue: { publicId: existing.public_id } };
        if (!this.spendPuzzle(powId, now)) return { ok: false, reason: "pow_reused", opensAt };
        const id = existing ? newTicketId() : ticketId;
        const publicId = publicIdOf(id);
        this.sql.exec("INSERT INTO prequeue (ticket_id, public_id, entered_at) VALUES (?, ?, ?)", id, publicId, now);
        joined += 1;
        return { ok: true, ticketId: id, number: 0, created: true, prequeue: { publicId } };
      }),
    );
    this.prequeued += joined;
    if (joined > 0) this.snap = null;
    return results;
  }

  /**
   * The common pre-queue batch, as enterFresh for the line: only fresh
   * arrivals, no puzzle to spend, so no lookup; one statement writes them all.
   * Null, with nothing written, if any id is known already (a batch sent
   * again): the batch then goes one by one.
   */
  private enterPrequeueFresh(arrivals: Arrival[], now: number): EnterResult[] | null {
    if (!arrivals.every((a) => a.fresh && a.powId === undefined)) return null;
    const rows = arrivals.map((a) => [a.ticketId, publicIdOf(a.ticketId)] as const);
    try {
      this.sql.exec(
        "INSERT INTO prequeue (ticket_id, public_id, entered_at) SELECT value ->> 0, value ->> 1, ? FROM json_each(?)",
        now,
        JSON.stringify(rows),
      );
    } catch (e) {
      if (e instanceof Error && e.message.includes("UNIQUE constraint failed: prequeue.")) return null;
      throw e;
    }
    this.prequeued += rows.length;
    this.snap = null;
    return rows.map(([ticketId, publicId]) => ({ ok: true, ticketId, number: 0, created: true, prequeue: { publicId } }));
  }

  /**
   * The state of one ticket, for the few polls the snapshot cannot answer (a
   * number at or below the cursor). A no-show who comes back is requeued here:
   * called at the next free place, ahead of higher numbers.
   */
  async ticketStatus(ticketId: string): Promise<TicketStatus> {
    this.counted("ticketStatus");
    const now = this.now();
    this.shuffleIfDue(now);
    let row = this.ticket(ticketId);
    if (!row && this.room) {
      const waiting = this.inPrequeue(ticketId);
      if (waiting) return { found: true, state: "waiting", number: 0, deadline: null, requeuedAhead: 0, prequeue: waiting };
    }
    if (!row || !this.room) return { found: false, state: null, number: 0, deadline: null, requeuedAhead: 0 };
    if (row.state === "called" && row.deadline! <= now) row = this.lapseOne(row, now);
    if (row.state === "no_show" && this.phase(now) === "open") {
      row = this.requeue(row, now);
      await this.schedule(now);
    }
    const requeuedAhead =
      row.state === "requeued"
        ? this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tickets WHERE state = 'requeued' AND number < ?", row.number).one().n
        : 0;
    return { found: true, state: row.state, number: row.number, deadline: row.deadline, requeuedAhead };
  }

  /**
   * Records the admission of a called number and returns what the Worker
   * signs. Single and idempotent: claiming again while admitted returns the
   * same jti and times.
   */
  async claim(ticketId: string, device: DeviceClass): Promise<ClaimResult> {
    this.counted("claim");
    return (await this.claimAll([{ ticketId, device }]))[0]!;
  }

  /** `claim` for a batch of tickets (concurrent claims from one isolate): one call, one result each, in order. */
  async claimMany(claims: { ticketId: string; device: DeviceClass }[]): Promise<ClaimResult[]> {
    this.counted("claimMany");
    return this.claimAll(claims);
  }

  /**
   * Claims in order, in one transaction: one read of the batch's tickets, one
   * write of its admissions (two statements per batch rather than two per
   * claim) and one count of admissions. The alarm is looked at once for the
   * batch, and only if a new deadline could come before it (usually it
   * cannot: an admission's expiry is minutes away).
   */
  private async claimAll(claims: { ticketId: string; device: DeviceClass }[]): Promise<ClaimResult[]> {
    const now = this.now();
    if (!this.room) return claims.map(() => ({ ok: false, reason: "unknown_event" }));
    const room = this.room;
    this.shuffleIfDue(now);
    // Token times are wall-clock seconds; deadlines are on this object's clock (equal but for the test seam).
    // The batch's admissions share them, to the second.
    const iat = Math.floor((now - room.clockOffsetMs) / 1000);
    const exp = iat + room.config.admissionSeconds;
    const times = { iat, exp, deadline: exp * 1000 + room.clockOffsetMs };
    let requeued = false;
    let admissions = 0;
    const results = this.ctx.storage.transactionSync(() => {
      const rows = this.ticketsById(claims.map((c) => c.ticketId));
      const admitted: [number, string, DeviceClass][] = [];
      const out = claims.map(({ ticketId, device }) => {
        const { result, change, row } = this.claimTicket(rows.get(ticketId), ticketId, device, now, times);
        // A ticket named twice in one batch (two tabs) finds what its first claim did.
        if (row) rows.set(ticketId, row);
        if (change === "admitted" && result.ok) admitted.push([result.number, result.jti, device]);
        if (change === "requeued") requeued = true;
        return result;
      });
      if (admitted.length > 0) {
        this.sql.exec(
          `UPDATE tickets SET state = 'admitted', deadline = ?, jti = a.value ->> 1, device = a.value ->> 2
           FROM json_each(?) AS a WHERE tickets.number = a.value ->> 0`,
          times.deadline,
          JSON.stringify(admitted),
        );
        this.moved("called", "admitted", admitted.length);
        this.bump(now, "admissions", admitted.length);
        admissions = admitted.length;
      }
      return out;
    });
    if (requeued) await this.schedule(now);
    // The batch's admissions all expire at times.deadline (and are freed EXPIRY_MARGIN_MS later).
    else if (admissions > 0) await this.scheduleUnlessBefore(now, times.deadline + EXPIRY_MARGIN_MS);
    return results;
  }

  /** What a claim reads of the rows of `ids` that are in the line, by ticket id: one statement for a batch. */
  private ticketsById(ids: string[]): Map<string, ClaimRow> {
    // Rows as arrays (raw), made into objects here: one literal shape, where
    // the cursor's objects are built a property at a time.
    const rows = this.sql
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
   * written: claimAll writes the batch's together (`change: "admitted"`, and
   * `row` as it will be). A lapse or a requeue is written at once.
   */
  private claimTicket(
    found: ClaimRow | undefined,
    ticketId: string,
    device: DeviceClass,
    now: number,
    times: { iat: number; exp: number; deadline: number },
  ): { result: ClaimResult; change?: "admitted" | "requeued"; row?: ClaimRow } {
    const room = this.room!;
    let row = found;
    if (!row) return { result: { ok: false, reason: this.inPrequeue(ticketId) ? "not_your_turn" : "bad_ticket" } };
    if (this.phase(now) === "closed") return { result: { ok: false, reason: "closed" } };
    if (row.state === "called" && row.deadline! <= now) row = this.lapseOne(row, now);
    switch (row.state) {
      case "waiting":
      case "requeued":
        return { result: { ok: false, reason: "not_your_turn" }, row };
      case "no_show":
        return { result: { ok: false, reason: "not_your_turn" }, change: "requeued", row: this.requeue(row, now) };
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

  /** Gives up a number. A called or admitted place is freed at once. Returns the admission's jti, if any, to revoke. */
  async leave(ticketId: string): Promise<{ ok: boolean; jti: string | null }> {
    this.counted("leave");
    const now = this.now();
    const row = this.ticket(ticketId);
    if (!row && this.room && this.inPrequeue(ticketId)) {
      // Leaving the pre-queue before the draw: out of the draw.
      this.sql.exec("UPDATE prequeue SET left = 1 WHERE ticket_id = ?", ticketId);
      this.prequeued -= 1;
      this.snap = null;
      return { ok: true, jti: null };
    }
    if (!row || !this.room) return { ok: false, jti: null };
    if (["used", "released", "expired", "left"].includes(row.state)) return { ok: true, jti: null };
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE tickets SET state = 'left', ended_at = ? WHERE number = ?", now, row.number);
      this.bump(now, "left_count");
    });
    this.moved(row.state, "left");
    await this.schedule(now);
    return { ok: true, jti: row.state === "admitted" ? row.jti : null };
  }

  /**
   * An admission's ticket row, by its number and jti. Without a number (an
   * acceptance queued by a QuotaCounter before numbers were sent along) the
   * jti alone finds it, by a scan: rare, and never on a hot path.
   */
  private admissionRow({ jti, number }: Admission): TicketRow | undefined {
    const rows = number === null ? this.sql.exec<TicketRow>("SELECT * FROM tickets WHERE jti = ?", jti) : this.sql.exec<TicketRow>("SELECT * FROM tickets WHERE number = ? AND jti = ?", number, jti);
    return rows.toArray()[0];
  }

  /** Ends an admission early (the origin's command): its place is freed at once. */
  async release(admission: Admission): Promise<{ ok: boolean; state: TicketState | null }> {
    this.counted("release");
    const now = this.now();
    const row = this.admissionRow(admission);
    if (!row) return { ok: false, state: null };
    if (row.state !== "admitted") return { ok: true, state: row.state };
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("UPDATE tickets SET state = 'released', ended_at = ? WHERE number = ?", now, row.number);
    });
    this.moved("admitted", "released");
    await this.schedule(now);
    return { ok: true, state: "released" };
  }

  /**
   * The QuotaCounter's word that an admission was used for an accepted
   * submission, with the accepted total. Both change in one step, so
   * active + accepted never drops below the truth (the quota-aware cap).
   */
  async noteAccepted(admission: Admission | null, acceptedTotal: number, absolute = false): Promise<void> {
    this.counted("noteAccepted");
    const now = this.now();
    if (!this.room) return;
    const room = this.room;
    const row = admission ? this.admissionRow(admission) : undefined;
    const wasActive = row && (row.state === "admitted" || row.state === "expired" || row.state === "released");
    this.ctx.storage.transactionSync(() => {
      if (row && wasActive) {
        this.sql.exec("UPDATE tickets SET state = 'used', ended_at = ? WHERE number = ?", now, row.number);
        this.bump(now, "used");
      }
      // Deliveries may repeat or arrive out of order: the count only grows, unless
      // the counter freed places (unpaid submissions, when the event allows it).
      room.accepted = absolute ? acceptedTotal : Math.max(room.accepted, acceptedTotal);
      this.saveRoom();
    });
    if (row && wasActive) this.moved(row.state, "used");
    this.snap = null;
    await this.schedule(now);
  }

  /** Closes the intake (quota reached or the kill switch): no more numbers, no more calls. */
  async close(reason: ClosedReason, actor: string | null = null): Promise<{ before: boolean; after: boolean }> {
    this.counted("close");
    const now = this.now();
    if (!this.room) return { before: false, after: false };
    const room = this.room;
    const before = room.closedAt !== null;
    this.ctx.storage.transactionSync(() => {
      if (!before) {
        room.closedAt = now;
        room.closedReason = reason;
        this.saveRoom();
      }
      if (actor) this.audit(actor, "event.close", { closed: before }, { closed: true, reason: room.closedReason }, now);
      // The report gets the minute of closing without waiting for the next copy.
      this.copyHistory(now);
    });
    this.snap = null;
    await this.schedule(now, true);
    return { before, after: true };
  }

  /** Pauses or resumes calling; numbering goes on. */
  async setPaused(paused: boolean, actor: string | null = null): Promise<{ before: boolean; after: boolean }> {
    this.counted("setPaused");
    const now = this.now();
    if (!this.room) return { before: false, after: false };
    const room = this.room;
    const before = room.paused;
    this.ctx.storage.transactionSync(() => {
      room.paused = paused;
      this.saveRoom();
      if (actor) this.audit(actor, paused ? "event.pause" : "event.resume", { paused: before }, { paused }, now);
    });
    this.snap = null;
    await this.schedule(now, true);
    return { before, after: paused };
  }

  /**
   * Everything the room knows for the operators' metrics. Bounded work at any
   * line length: counts come from memory, rates from indexes (or a binary
   * search over numbers, which rise with arrival time), percentiles from
   * tickets_by_wait. Not on the poll path: the ops API shares one call a
   * second per isolate across all its viewers.
   */
  async metrics(): Promise<RoomMetrics | null> {
    this.counted("metrics");
    if (!this.room) return null;
    const now = this.now();
    const r = this.room;
    const c = r.config;
    this.flushRpcCalls();
    const minute = Math.floor(now / 60_000);
    const totals = this.sql
      .exec<{ lapses: number | null; rpc: number | null }>("SELECT SUM(no_shows) AS lapses, SUM(rpc_calls) AS rpc FROM minutes")
      .one();
    const recent = new Map(
      this.sql
        .exec<{ minute: number; rpc_calls: number }>("SELECT minute, rpc_calls FROM minutes WHERE minute IN (?, ?)", minute - 1, minute)
        .toArray()
        .map((row) => [row.minute, row.rpc_calls]),
    );
    // Sliding window: this minute so far, plus the part of the last minute still inside the 60 s.
    const elapsed = (now % 60_000) / 60_000;
    const rpcPerMinute = Math.round((recent.get(minute) ?? 0) + (recent.get(minute - 1) ?? 0) * (1 - elapsed));
    const wait = this.waitPercentiles(now);
    const waiting = this.count("waiting") + this.count("requeued");
    const metrics: RoomMetrics = {
      event: c.id,
      generatedAt: now,
      phase: this.phase(now),
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
        waiting,
        requeued: this.count("requeued"),
        called: this.count("called"),
        admitted: this.count("admitted"),
        active: this.active(),
        used: this.count("used"),
        released: this.count("released"),
        expired: this.count("expired"),
        noShows: this.count("no_show"),
        left: this.count("left"),
      },
      noShowLapses: totals.lapses ?? 0,
      lastMinute: { arrivals: this.arrivalsSince(now - 60_000), calls: this.callsSince(now - 60_000) },
      wait: { called: this.calledEver, p50Seconds: wait.p50, p95Seconds: wait.p95 },
      oldestWaiting: this.oldestWaiting(now),
      accepted: r.accepted,
      rpcCalls: { perMinute: rpcPerMinute, total: totals.rpc ?? 0 },
      outboxPending: this.outbox.size(),
    };
    await this.schedule(now);
    return metrics;
  }

  /** The admission tick: lapses, expiries, then calls under the policy. Idempotent if run twice. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.faults.check("alarm");
    const now = this.now();
    if (this.room) {
      this.shuffleIfDue(now);
      this.tick(now);
      if (now - this.historyCopiedAt >= HISTORY_EVERY_MS) this.ctx.storage.transactionSync(() => this.copyHistory(now));
    }
    await this.drainOutbox();
    await this.schedule(this.now());
  }

  /** Test seam (ENABLE_TEST_SEAMS only): makes the next `times` alarms (or D1 deliveries) fail. */
  async armFault(name: FaultName, times: number): Promise<void> {
    this.faults.arm(name, times);
  }

  /** Test seam (ENABLE_TEST_SEAMS only): moves this object's clock forward. */
  async advanceClock(ms: number): Promise<void> {
    if (this.env.ENABLE_TEST_SEAMS !== "true") throw new Error("test seams are disabled");
    if (!this.room) return;
    this.room.clockOffsetMs += ms;
    this.saveRoom();
    this.snap = null;
  }

  // ---------------------------------------------------------------- internals

  /** Arrivals after `since`. */
  private arrivalsSince(since: number): number {
    return this.room!.nextNumber - this.firstNumberAfter(since);
  }

  /**
   * The first number entered after `since` (nextNumber if none): numbers rise
   * with arrival time (the draw numbers its tickets at the opening, before
   * any later arrival), so a binary search over numbers finds it.
   */
  private firstNumberAfter(since: number): number {
    let lo = 1;
    let hi = this.room!.nextNumber;
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      const row = this.sql.exec<{ entered_at: number }>("SELECT entered_at FROM tickets WHERE number = ?", mid).toArray()[0];
      if (row && row.entered_at > since) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /**
   * Writes into `minutes` the arrivals of every minute since the last count,
   * from the tickets themselves (absolute counts, so a second count changes
   * nothing): entering writes only its tickets. Runs inside the caller's transaction.
   */
  private countArrivals(): void {
    const last = this.room!.nextNumber - 1;
    if (last <= this.arrivalsCounted) return;
    const minuteOf = (n: number) => {
      const row = this.sql.exec<{ entered_at: number }>("SELECT entered_at FROM tickets WHERE number = ?", n).toArray()[0];
      return row ? Math.floor(row.entered_at / 60_000) : null;
    };
    // Minute by minute from the first uncounted arrival's, skipping minutes nobody arrived in.
    let minute = minuteOf(this.arrivalsCounted + 1);
    let first = minute === null ? last + 1 : this.firstNumberAfter(minute * 60_000 - 1);
    while (minute !== null && first <= last) {
      const next = this.firstNumberAfter((minute + 1) * 60_000 - 1);
      this.sql.exec(
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

  private oldestWaiting(now: number): RoomMetrics["oldestWaiting"] {
    let oldest: { number: number; entered_at: number } | undefined;
    for (const state of ["requeued", "waiting"] as const) {
      const row = this.sql
        .exec<{ number: number; entered_at: number }>("SELECT number, entered_at FROM tickets WHERE state = ? ORDER BY number LIMIT 1", state)
        .toArray()[0];
      if (row && (!oldest || row.number < oldest.number)) oldest = row;
    }
    return oldest ? { number: oldest.number, waitingSeconds: Math.max(0, Math.floor((now - oldest.entered_at) / 1000)) } : null;
  }

  /**
   * Median and 95th percentile of the wait from entering to being called, by
   * nearest rank over every ticket called so far, read from tickets_by_wait.
   * Past PERCENTILES_EXACT_UP_TO called tickets, recomputed at most every
   * PERCENTILES_EVERY_MS (OFFSET walks the index).
   */
  private waitPercentiles(now: number): { p50: number | null; p95: number | null } {
    const n = this.calledEver;
    const cached = this.waitCache;
    if (cached && (cached.called === n || (n > PERCENTILES_EXACT_UP_TO && now - cached.at < PERCENTILES_EVERY_MS))) return cached;
    const at = (rank: number): number | null => {
      const row = this.sql
        .exec<{ w: number }>(
          "SELECT called_at - entered_at AS w FROM tickets WHERE called_at IS NOT NULL ORDER BY called_at - entered_at LIMIT 1 OFFSET ?",
          rank - 1,
        )
        .toArray()[0];
      return row ? Math.round(row.w / 1000) : null;
    };
    this.waitCache = { called: n, at: now, p50: n > 0 ? at(nearestRank(n, 50)) : null, p95: n > 0 ? at(nearestRank(n, 95)) : null };
    return this.waitCache;
  }

  /** The same percentiles for the calls of one minute (at most that minute's calls are sorted). */
  private minuteWaitPercentiles(minute: number): { p50: number | null; p95: number | null } {
    const from = minute * 60_000;
    const to = from + 60_000;
    const n = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM tickets WHERE called_at >= ? AND called_at < ?", from, to).one().n;
    if (n === 0) return { p50: null, p95: null };
    const at = (rank: number): number =>
      this.sql
        .exec<{ w: number }>(
          "SELECT called_at - entered_at AS w FROM tickets WHERE called_at >= ? AND called_at < ? ORDER BY w LIMIT 1 OFFSET ?",
          from,
          to,
          rank - 1,
        )
        .one().w;
    return { p50: at(nearestRank(n, 50)), p95: at(nearestRank(n, 95)) };
  }

  /**
   * Copies the minutes that changed since the last copy to the outbox, with
   * absolute values (the D1 upsert is idempotent). The current minute also
   * records the line's gauges (waiting, active) as they stand now. Runs inside
   * the caller's transaction.
   */
  private copyHistory(now: number): void {
    const room = this.room!;
    const minute = Math.floor(now / 60_000);
    const waiting = this.count("waiting") + this.count("requeued");
    const active = this.active();
    const gauges = `${minute}:${waiting}:${active}`;
    this.flushRpcCalls();
    this.countArrivals();
    if (!this.historyDirty && gauges === this.historyGauges) return;
    this.sql.exec(
      `INSERT INTO minutes (minute, waiting, active, dirty) VALUES (?, ?, ?, 1)
       ON CONFLICT (minute) DO UPDATE SET waiting = excluded.waiting, active = excluded.active, dirty = 1`,
      minute,
      waiting,
      active,
    );
    for (const row of this.sql.exec<MinuteRow>("SELECT * FROM minutes WHERE dirty = 1 ORDER BY minute").toArray()) {
      const wait = this.minuteWaitPercentiles(row.minute);
      this.outbox.add(
        "minute",
        {
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
        Date.now(),
      );
    }
    this.sql.exec("UPDATE minutes SET dirty = 0 WHERE dirty = 1");
    this.historyDirty = false;
    this.historyCopiedAt = now;
    this.historyGauges = gauges;
  }

  private ticket(ticketId: string): TicketRow | undefined {
    return this.sql.exec<TicketRow>("SELECT * FROM tickets WHERE ticket_id = ?", ticketId).toArray()[0];
  }

  private lapseOne<R extends Pick<TicketRow, "number" | "state">>(row: R, now: number): R {
    this.sql.exec("UPDATE tickets SET state = 'no_show', ended_at = ? WHERE number = ?", now, row.number);
    this.bump(now, "no_shows");
    this.moved("called", "no_show");
    return { ...row, state: "no_show" };
  }

  private requeue<R extends Pick<TicketRow, "number" | "state" | "deadline">>(row: R, now: number): R {
    this.sql.exec("UPDATE tickets SET state = 'requeued', requeued_at = ?, deadline = NULL WHERE number = ?", now, row.number);
    this.moved("no_show", "requeued");
    return { ...row, state: "requeued", deadline: null };
  }

  private tick(now: number): void {
    const room = this.room!;
    const c = room.config;
    this.ctx.storage.transactionSync(() => {
      const noShows = this.sql
        .exec("UPDATE tickets SET state = 'no_show', ended_at = ? WHERE state = 'called' AND deadline <= ? RETURNING number", now, now)
        .toArray().length;
      this.moved("called", "no_show", noShows);
      this.bump(now, "no_shows", noShows);
      const expired = this.sql
        .exec(
          "UPDATE tickets SET state = 'expired', ended_at = ? WHERE state = 'admitted' AND deadline <= ? RETURNING number",
          now,
          now - EXPIRY_MARGIN_MS,
        )
        .toArray().length;
      this.moved("admitted", "expired", expired);
      this.bump(now, "expired", expired);

      if (this.phase(now) !== "open" || room.paused) return;
      let budget = callBudget({
        active: this.active(),
        accepted: room.accepted,
        callsLastMinute: this.callsSince(now - 60_000),
        maxActive: c.maxActive,
        admitPerMinute: c.admitPerMinute,
        quota: c.quota,
        overbook: c.overbook,
      });
      if (budget === 0) return;
      const deadline = now + c.noShowGraceSeconds * 1000;
      // Returning no-shows first, in number order; then the line, in number order.
      const recalled = this.sql
        .exec(
          `UPDATE tickets SET state = 'called', called_at = ?, deadline = ?
           WHERE number IN (SELECT number FROM tickets WHERE state = 'requeued' ORDER BY number LIMIT ?) RETURNING number`,
          now,
          deadline,
          budget,
        )
        .toArray().length;
      this.moved("requeued", "called", recalled);
      budget -= recalled;
      const called = this.sql
        .exec<{ number: number }>(
          `UPDATE tickets SET state = 'called', called_at = ?, deadline = ?
           WHERE number IN (SELECT number FROM tickets WHERE state = 'waiting' ORDER BY number LIMIT ?) RETURNING number`,
          now,
          deadline,
          budget,
        )
        .toArray();
      this.moved("waiting", "called", called.length);
      this.calledEver += called.length;
      this.bump(now, "calls", recalled + called.length);
      if (called.length > 0) {
        room.servingNumber = called.reduce((max, r) => Math.max(max, r.number), room.servingNumber);
        this.saveRoom();
      }
    });
  }

  /**
   * `schedule`, after work was added that is due no earlier than `due` (room
   * clock): an alarm already set before it (and before any history copy now
   * due) covers it, and the schedule's index lookups are skipped.
   */
  private async scheduleUnlessBefore(now: number, due: number): Promise<void> {
    if (this.historyDirty) due = Math.min(due, this.historyCopiedAt + HISTORY_EVERY_MS);
    if (this.alarmAt !== null && this.alarmAt <= due - this.room!.clockOffsetMs) return;
    await this.schedule(now);
  }

  /** Sets the alarm to the earliest due work: the next tick, an expiry, the opening, an outbox retry. */
  private async schedule(now: number, reconsider = false): Promise<void> {
    if (!this.room) return;
    // An alarm due within a tick already covers any new work: it recomputes the
    // schedule when it runs. Skipping here keeps enter and claim O(1) in the line's size.
    if (!reconsider && this.alarmAt !== null && this.alarmAt <= Date.now() + TICK_MS) return;
    const room = this.room;
    const candidates: number[] = [];
    const phase = this.phase(now);
    const waiting = this.count("waiting") + this.count("requeued");
    if (phase === "open" && !room.paused && waiting > 0) candidates.push(now + TICK_MS);
    if (this.active() > 0) {
      // Two index lookups (tickets_by_deadline), not a scan of every active ticket.
      const next = "SELECT MIN(deadline) AS at FROM tickets WHERE state = ? AND deadline IS NOT NULL";
      const lapse = this.sql.exec<{ at: number | null }>(next, "called").one().at;
      const expiry = this.sql.exec<{ at: number | null }>(next, "admitted").one().at;
      if (lapse !== null) candidates.push(lapse);
      if (expiry !== null) candidates.push(expiry + EXPIRY_MARGIN_MS);
    }
    if (phase === "before_open" && room.config.opensAt !== null) candidates.push(room.config.opensAt);
    // The outbox is due on the real clock; candidates are on the room's (the test seam may move it).
    const outboxAt = this.outbox.nextDueAt();
    if (outboxAt !== null) candidates.push(outboxAt + room.clockOffsetMs);
    if (this.historyDirty) candidates.push(this.historyCopiedAt + HISTORY_EVERY_MS);
    if (candidates.length === 0) return;
    // The alarm runs on the real clock; the test seam's offset is taken off.
    const next = Math.max(Date.now(), Math.min(...candidates) - room.clockOffsetMs);
    if (this.alarmAt !== null && this.alarmAt <= next && !reconsider) return;
    if (this.alarmAt === next) return;
    this.alarmAt = next;
    await this.ctx.storage.setAlarm(next);
  }

  private async drainOutbox(): Promise<void> {
    await this.outbox.drain(Date.now(), async (rows) => {
      this.faults.check("d1");
      await deliverToD1(this.env.DB, rows);
    });
  }
}

/** The 1-based rank of the p-th percentile among n values (nearest-rank method). */
function nearestRank(n: number, p: number): number {
  return Math.max(1, Math.ceil((p / 100) * n));
}

/** An admission as the origin and the QuotaCounter know it: its jti and queue number (null: not known). */
export interface Admission {
  jti: string;
  number: number | null;
}

/** The columns a claim reads. */
type ClaimRow = Pick<TicketRow, "number" | "ticket_id" | "state" | "deadline" | "jti" | "device">;

interface TicketRow {
  [key: string]: SqlStorageValue;
  number: number;
  ticket_id: string;
  entered_at: number;
  state: TicketState;
  called_at: number | null;
  deadline: number | null;
  jti: string | null;
  device: string | null;
  requeued_at: number | null;
  ended_at: number | null;
}

