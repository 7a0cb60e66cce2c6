// QueueRoom: one Durable Object per event. It numbers arrivals in order,
// calls them under the admission policy on its alarm tick, records claims,
// and publishes a small snapshot that Workers cache to answer polls.
//
// This class is the room's RPC surface, its alarm and its test seams; the
// work is in synchronous pieces beside it (numbering, prequeue, claims, tick,
// control, snapshot, metrics, history) over one RoomState. Storage is the
// truth: every method runs its reads and writes in one synchronous block (no
// await between them), so the input and output gates make it atomic and
// durable before the reply leaves; only the alarm's setting is awaited, after.
import { DurableObject } from "cloudflare:workers";
import { EXPIRY_MARGIN_MS } from "../../domain/admission";
import type { DeviceClass } from "../../domain/device";
import { ConfigError, defaultEventId, type ClosedReason, type EventConfig, type EventSettingsPatch } from "../../domain/event";
import { deliverToD1 } from "../../db/deliver";
import { Faults, type FaultName } from "../shared/faults";
import { Outbox } from "../shared/outbox";
import { ensureSchema } from "../shared/schema";
import { BusyAddresses } from "./addresses";
import { Claims } from "./claims";
import { Control } from "./control";
import { History } from "./history";
import { Metrics } from "./metrics";
import { Numbering } from "./numbering";
import { OriginFailureCounts } from "./origin-failures";
import { Prequeue } from "./prequeue";
import { ROOM_SCHEMA } from "./schema";
import { Snapshots } from "./snapshot";
import { RoomState } from "./state";
import { Tick, TICK_MS } from "./tick";
import type {
  Admission,
  Arrival,
  ClaimResult,
  ConfigSource,
  ConfigureOptions,
  ConfigureResult,
  EnterResult,
  FairnessRecord,
  OriginFailureKind,
  RefusedChange,
  RoomMetrics,
  Snapshot,
  TicketState,
  TicketStatus,
} from "./types";

export type {
  Admission,
  Arrival,
  ClaimResult,
  ConfigureOptions,
  ConfigureResult,
  EnterResult,
  FairnessRecord,
  OriginFailureKind,
  OriginFailures,
  RefusedChange,
  RoomMetrics,
  RoomSnapshot,
  Snapshot,
  TicketState,
  TicketStatus,
} from "./types";

export class QueueRoom extends DurableObject<Env> {
  private readonly faults: Faults;
  private readonly state: RoomState;
  private readonly history: History;
  private readonly prequeue: Prequeue;
  private readonly numbering: Numbering;
  private readonly claims: Claims;
  private readonly tick: Tick;
  private readonly control: Control;
  private readonly snapshots: Snapshots;
  private readonly metricsView: Metrics;
  private readonly originFailures: OriginFailureCounts;
  private readonly busyAddresses = new BusyAddresses();
  /** RPC calls served since this instance started, by method (tests and benchmarks read it). */
  readonly rpcCalls: Map<string, number>;
  /** The alarm as last set (real clock), or null: spares a storage read on every schedule. */
  private alarmAt: number | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.faults = new Faults(ctx.storage.sql, env.ENABLE_TEST_SEAMS === "true");
    this.state = new RoomState(ctx.storage, new Outbox(ctx.storage.sql));
    this.history = new History(this.state);
    this.prequeue = new Prequeue(this.state, this.history);
    this.numbering = new Numbering(this.state, this.history, this.prequeue);
    this.tick = new Tick(this.state, this.history);
    this.claims = new Claims(this.state, this.history, this.prequeue, this.tick);
    this.control = new Control(this.state, this.history, this.prequeue, env);
    this.snapshots = new Snapshots(this.state, this.history, this.prequeue);
    this.originFailures = new OriginFailureCounts(ctx.storage.sql);
    this.metricsView = new Metrics(this.state, this.history, this.originFailures, this.busyAddresses);
    this.rpcCalls = this.history.calls.byMethod;
    void ctx.blockConcurrencyWhile(async () => {
      ensureSchema(ctx.storage, ROOM_SCHEMA);
      this.state.load();
      this.prequeue.load();
      this.history.load();
      this.alarmAt = await ctx.storage.getAlarm();
      if (!this.state.room && ctx.id.name !== undefined && ctx.id.name === defaultEventId(env)) await this.seedFromVars();
    });
  }

  /** The event this room serves: its name. */
  private get event(): string {
    const name = this.ctx.id.name;
    if (!name) throw new Error("QueueRoom must be addressed by name (the event id)");
    return name;
  }

  /** Counts an RPC call and reads the room's clock for it. */
  private served(method: string): number {
    const now = this.state.now();
    this.history.calls.count(method, now);
    return now;
  }

  // ---------------------------------------------------------------- RPC

  /**
   * Creates the event or changes its settings. A change that would break an
   * invariant (quota below the accepted count, …) is refused and changes
   * nothing; one that would close the intake (a quota at the accepted count)
   * needs `confirmClose`. With an actor, the change and its audit row are
   * written together. `dryRun` only validates.
   */
  async configure(patch: EventSettingsPatch, options: ConfigureOptions = {}): Promise<ConfigureResult> {
    const now = this.served("configure");
    return this.change(
      patch,
      { source: options.source ?? "ops", actor: options.actor ?? null, dryRun: options.dryRun ?? false, confirmClose: options.confirmClose === true, accepted: options.accepted ?? 0 },
      now,
    );
  }

  /** Audits a change an operator was refused (the ops API's 409 and 422 answers): nothing else changes. */
  async refused(change: RefusedChange): Promise<void> {
    const now = this.served("refused");
    this.control.refused(this.event, change, now);
    if (this.state.room) await this.schedule(now, { reconsider: true });
    else {
      // No event here yet (a refused creation): the alarm still carries the audit row to D1.
      this.alarmAt = Date.now();
      await this.ctx.storage.setAlarm(this.alarmAt);
    }
  }

  /**
   * Adds the origin's failures one isolate's proxy saw (at most one call a
   * second per isolate, and only while the origin fails). Kept even before
   * the event exists: the proxy fronts the origin at all times.
   */
  async noteOriginFailures(counts: Partial<Record<OriginFailureKind, number>>): Promise<void> {
    const now = this.served("noteOriginFailures");
    this.originFailures.add(counts, now);
  }

  /**
   * The default event at its first access: created from the Worker vars by
   * the very path an operator's PUT takes (a new event's settings are the
   * vars'), so the vars' settings mean what the API's do, the pre-queue's
   * commitment included. Vars that the API would refuse stop the room loudly.
   */
  private async seedFromVars(): Promise<void> {
    const result = await this.change({}, { source: "vars", actor: null, dryRun: false, confirmClose: false, accepted: 0 }, this.state.now());
    if (!result.ok) throw new ConfigError(`the Worker vars give an invalid event: ${result.field}: ${result.detail}`);
  }

  private async change(
    patch: EventSettingsPatch,
    options: { source: ConfigSource; actor: string | null; dryRun: boolean; confirmClose: boolean; accepted: number },
    now: number,
  ): Promise<ConfigureResult> {
    const result = this.control.configure(this.event, patch, options, now);
    if (result.ok && !options.dryRun) await this.schedule(now, { reconsider: true });
    return result;
  }

  /** What anyone may check about the draw: the commitment before, the seed and every number after. */
  fairness(): FairnessRecord {
    this.served("fairness");
    return this.prequeue.fairness(this.ctx.id.name ?? "");
  }

  /** RPC calls this instance served, by method (benchmarks read it; not counted itself). */
  callCounts(): Record<string, number> {
    return Object.fromEntries(this.rpcCalls);
  }

  /** The event's full configuration (the ops API shows it). */
  settings(): { settings: EventConfig | null } {
    this.served("settings");
    return { settings: this.state.room?.config ?? null };
  }

  /** The small public state Workers cache (at most one refresh a second each) to answer polls. */
  snapshot(): Snapshot {
    const now = this.served("snapshot");
    this.prequeue.drawIfDue(now);
    return this.snapshots.current(this.ctx.id.name ?? "", now);
  }

  /**
   * Takes numbers for a batch of arrivals, in the batch's order (numbering.ts).
   * Idempotent per ticket; refused before opening and after closing.
   */
  async enter(arrivals: Arrival[]): Promise<EnterResult[]> {
    const now = this.served("enter");
    const room = this.state.room;
    if (!room) return arrivals.map(() => ({ ok: false, reason: "unknown_event", opensAt: null }));
    this.prequeue.drawIfDue(now);
    const numbered = room.nextNumber;
    const results = this.numbering.enter(arrivals, now);
    this.busyAddresses.note(arrivals, results, now);
    if (room.nextNumber > numbered) await this.schedule(now);
    return results;
  }

  /**
   * The state of one ticket, for the few polls the snapshot cannot answer (a
   * number at or below the cursor). A no-show who comes back is requeued here:
   * called at the next free place, ahead of higher numbers.
   */
  async ticketStatus(ticketId: string): Promise<TicketStatus> {
    const now = this.served("ticketStatus");
    if (!this.state.room) return { found: false, state: null, number: 0, deadline: null, requeuedAhead: 0 };
    this.prequeue.drawIfDue(now);
    const { status, requeued } = this.claims.status(ticketId, now);
    if (requeued) await this.schedule(now);
    return status;
  }

  /**
   * Records the admission of a called number and returns what the Worker
   * signs. Single and idempotent: claiming again while admitted returns the
   * same jti and times.
   */
  async claim(ticketId: string, device: DeviceClass): Promise<ClaimResult> {
    const now = this.served("claim");
    return (await this.claimAll([{ ticketId, device }], now))[0]!;
  }

  /** `claim` for a batch of tickets (concurrent claims from one isolate): one call, one result each, in order. */
  async claimMany(claims: { ticketId: string; device: DeviceClass }[]): Promise<ClaimResult[]> {
    const now = this.served("claimMany");
    return this.claimAll(claims, now);
  }

  /**
   * The alarm is looked at once for the batch, and only if a new deadline
   * could come before it (usually it cannot: an admission's expiry is minutes away).
   */
  private async claimAll(claims: { ticketId: string; device: DeviceClass }[], now: number): Promise<ClaimResult[]> {
    if (!this.state.room) return claims.map(() => ({ ok: false, reason: "unknown_event" }));
    this.prequeue.drawIfDue(now);
    const batch = this.claims.claim(claims, now);
    if (batch.requeued) await this.schedule(now);
    // The batch's admissions are freed EXPIRY_MARGIN_MS after they expire.
    else if (batch.expiresAt !== null) await this.scheduleUnlessBefore(now, batch.expiresAt + EXPIRY_MARGIN_MS);
    return batch.results;
  }

  /** Gives up a number. A called or admitted place is freed at once. Returns the admission's jti, if any, to revoke. */
  async leave(ticketId: string): Promise<{ ok: boolean; jti: string | null }> {
    const now = this.served("leave");
    if (!this.state.room) return { ok: false, jti: null };
    const { result, freed } = this.claims.leave(ticketId, now);
    if (freed) await this.schedule(now);
    return result;
  }

  /** Ends an admission early (the origin's command): its place is freed at once. */
  async release(admission: Admission): Promise<{ ok: boolean; state: TicketState | null }> {
    const now = this.served("release");
    const { result, freed } = this.claims.release(admission, now);
    if (freed) await this.schedule(now);
    return result;
  }

  /**
   * The QuotaCounter's word that an admission was used for an accepted
   * submission, with the accepted total (claims.ts). `absolute`: the total
   * may go down (the counter freed places).
   */
  async noteAccepted(admission: Admission | null, acceptedTotal: number, options: { absolute?: boolean } = {}): Promise<void> {
    const now = this.served("noteAccepted");
    if (!this.state.room) return;
    this.claims.noteAccepted(admission, acceptedTotal, options.absolute === true, now);
    await this.schedule(now);
  }

  /** Closes the intake (quota reached or the kill switch): no more numbers, no more calls. */
  async close(reason: ClosedReason, actor: string | null = null): Promise<{ before: boolean; after: boolean }> {
    return this.steer("close", (now) => this.control.close(reason, actor, now));
  }

  /** Pauses or resumes calling; numbering goes on. */
  async setPaused(paused: boolean, actor: string | null = null): Promise<{ before: boolean; after: boolean }> {
    return this.steer("setPaused", (now) => this.control.pause(paused, actor, now));
  }

  /** An operator's switch (control.ts), then the alarm reconsidered: calling may stop, or start again. */
  private async steer(method: string, change: (now: number) => { before: boolean; after: boolean }): Promise<{ before: boolean; after: boolean }> {
    const now = this.served(method);
    if (!this.state.room) return { before: false, after: false };
    const result = change(now);
    await this.schedule(now, { reconsider: true });
    return result;
  }

  /** Everything the room knows for the operators' metrics (metrics.ts): bounded work at any line length. */
  async metrics(): Promise<RoomMetrics | null> {
    const now = this.served("metrics");
    if (!this.state.room) return null;
    const metrics = this.metricsView.read(now);
    await this.schedule(now);
    return metrics;
  }

  /** The admission tick: the draw when due, lapses, expiries, then calls under the policy. Idempotent if run twice. */
  override async alarm(): Promise<void> {
    this.alarmAt = null;
    this.faults.check("alarm");
    const now = this.state.now();
    if (this.state.room) {
      this.prequeue.drawIfDue(now);
      this.tick.run(now);
      this.history.copyIfDue(now);
    }
    await this.state.outbox.drain("d1", Date.now(), async (messages) => {
      this.faults.check("d1");
      await deliverToD1(this.env.DB, messages);
    });
    await this.schedule(this.state.now());
  }

  /** Test seam (ENABLE_TEST_SEAMS only): makes the next `times` alarms (or D1 deliveries) fail. */
  async armFault(name: FaultName, times: number): Promise<void> {
    this.faults.arm(name, times);
  }

  /** Test seam (ENABLE_TEST_SEAMS only): moves this object's clock forward. */
  async advanceClock(ms: number): Promise<void> {
    if (this.env.ENABLE_TEST_SEAMS !== "true") throw new Error("test seams are disabled");
    const room = this.state.room;
    if (!room) return;
    room.clockOffsetMs += ms;
    this.state.save();
    this.state.snap = null;
  }

  // ---------------------------------------------------------------- the alarm's schedule

  /**
   * `schedule`, after work was added that is due no earlier than `due` (room
   * clock): an alarm already set before it (and before any history copy now
   * due) covers it, and the schedule's index lookups are skipped.
   */
  private async scheduleUnlessBefore(now: number, due: number): Promise<void> {
    const copyAt = this.history.nextCopyAt();
    if (copyAt !== null) due = Math.min(due, copyAt);
    if (this.alarmAt !== null && this.alarmAt <= due - this.state.room!.clockOffsetMs) return;
    await this.schedule(now);
  }

  /**
   * Sets the alarm to the earliest due work (Tick.nextAlarm). `reconsider`:
   * the settings or the phase changed, so an alarm already set may now be too late or too early.
   */
  private async schedule(now: number, options?: { reconsider: boolean }): Promise<void> {
    if (!this.state.room) return;
    const reconsider = options?.reconsider === true;
    // An alarm due within a tick already covers any new work: it recomputes the
    // schedule when it runs. Skipping here keeps enter and claim O(1) in the line's size.
    if (!reconsider && this.alarmAt !== null && this.alarmAt <= Date.now() + TICK_MS) return;
    const next = this.tick.nextAlarm(now);
    if (next === null) return;
    if (this.alarmAt !== null && this.alarmAt <= next && !reconsider) return;
    if (this.alarmAt === next) return;
    this.alarmAt = next;
    await this.ctx.storage.setAlarm(next);
  }
}
