// The event's steering: its creation and settings, pause and closing. A
// change that would break an invariant is refused and changes nothing; each
// change is written with its event_version and, with an actor, its audit row
// in one transaction, and both reach D1 through the outbox.
import { applySettings, ConfigError, eventFromVars, type ClosedReason, type EventConfig, type EventSettingsPatch, type EventVars } from "../../domain/event";
import { validateChange, validateNew } from "../../domain/settings";
import type { History } from "./history";
import type { Prequeue } from "./prequeue";
import type { RoomState } from "./state";
import type { ConfigSource, ConfigureResult } from "./types";

export class Control {
  constructor(
    private readonly state: RoomState,
    private readonly history: History,
    private readonly prequeue: Prequeue,
    private readonly vars: EventVars,
  ) {}

  /**
   * Validates, then creates the event or changes its settings, commits a
   * scheduled draw, and audits. A new event starts from the Worker vars'
   * settings (the default event's, read as the API reads them).
   */
  configure(event: string, patch: EventSettingsPatch, options: { source: ConfigSource; actor: string | null; dryRun: boolean }, now: number): ConfigureResult {
    const state = this.state;
    const before = state.room?.config ?? null;
    let base: EventConfig;
    let after: EventConfig;
    try {
      base = before ?? eventFromVars(this.vars, event);
    } catch (e) {
      if (e instanceof ConfigError) return { ok: false, reason: "invalid_change", field: "vars", detail: e.message };
      throw e;
    }
    try {
      after = applySettings(base, patch);
    } catch (e) {
      if (e instanceof ConfigError) return { ok: false, reason: "invalid_change", field: "opensAt", detail: e.message };
      throw e;
    }
    const problem =
      before && state.room
        ? validateChange(before, after, { now, accepted: state.room.accepted, numbered: state.room.nextNumber - 1, prequeued: this.prequeue.size, phase: state.phase(now) })
        : validateNew(after);
    if (problem) return { ok: false, reason: "invalid_change", ...problem };
    if (options.dryRun) return { ok: true, before, after };
    state.storage.transactionSync(() => {
      if (state.room) {
        state.room.config = after;
        state.room.configVersion += 1;
      } else {
        state.room = { config: after, configVersion: 1, nextNumber: 1, servingNumber: 0, paused: false, closedAt: null, closedReason: null, accepted: 0, clockOffsetMs: 0 };
      }
      state.save();
      state.outbox.add(
        { kind: "event_version", payload: { eventId: after.id, version: state.room.configVersion, config: after, source: options.source, changedAt: now } },
        Date.now(),
      );
    });
    this.prequeue.commit(after, now);
    if (options.actor) this.audit(options.actor, before ? "event.update" : "event.create", before, after, now);
    state.snap = null;
    return { ok: true, before, after };
  }

  /** Pauses or resumes calling; numbering goes on. */
  pause(paused: boolean, actor: string | null, now: number): { before: boolean; after: boolean } {
    const room = this.state.room!;
    const before = room.paused;
    this.state.storage.transactionSync(() => {
      room.paused = paused;
      this.state.save();
      if (actor) this.audit(actor, paused ? "event.pause" : "event.resume", { paused: before }, { paused }, now);
    });
    this.state.snap = null;
    return { before, after: paused };
  }

  /** Closes the intake (quota reached or the kill switch): no more numbers, no more calls (invariant 6). */
  close(reason: ClosedReason, actor: string | null, now: number): { before: boolean; after: boolean } {
    const room = this.state.room!;
    const before = room.closedAt !== null;
    this.state.storage.transactionSync(() => {
      if (!before) {
        room.closedAt = now;
        room.closedReason = reason;
        this.state.save();
      }
      if (actor) this.audit(actor, "event.close", { closed: before }, { closed: true, reason: room.closedReason }, now);
      // The report gets the minute of closing without waiting for the next copy.
      this.history.copy(now);
    });
    this.state.snap = null;
    return { before, after: true };
  }

  /** Records an operator action in the outbox; the alarm copies it to D1's audit_log. */
  private audit(actor: string, action: string, before: unknown, after: unknown, now: number): void {
    this.state.outbox.add({ kind: "audit", payload: { id: crypto.randomUUID(), eventId: this.state.room!.config.id, actor, action, before, after, at: now } }, Date.now());
  }
}
