// The event's steering: its creation and settings, pause and closing. A
// change that would break an invariant is refused and changes nothing; a
// change that would close the intake goes through only when the operator
// typed the event's id. Each change is written with its event_version and,
// with an actor, its audit row in one transaction, and both reach D1 through
// the outbox; a refused change is audited too.
import { applySettings, ConfigError, eventFromVars, type ClosedReason, type EventConfig, type EventSettingsPatch, type EventVars } from "../../domain/event";
import { closesIntake, validateChange, validateNew } from "../../domain/settings";
import { actorKind, logEvent } from "../../ops/log";
import type { History } from "./history";
import type { Prequeue } from "./prequeue";
import type { RoomState } from "./state";
import type { ConfigSource, ConfigureResult, RefusedChange } from "./types";

/** How much of a refused request the audit keeps: its first keys, each value's JSON cut short. */
const ASKED_KEYS = 20;
const ASKED_VALUE_CHARS = 1_000;

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
   * settings (the default event's, read as the API reads them). A confirmed
   * change that closes the intake closes the room in the same transaction,
   * with an audit row of its own.
   */
  configure(
    event: string,
    patch: EventSettingsPatch,
    options: { source: ConfigSource; actor: string | null; dryRun: boolean; confirmClose: boolean; accepted: number },
    now: number,
  ): ConfigureResult {
    const state = this.state;
    const before = state.room?.config ?? null;
    let base: EventConfig;
    let after: EventConfig;
    try {
      base = before ?? eventFromVars(this.vars, event);
    } catch (e) {
      if (e instanceof ConfigError) return { ok: false, reason: "invalid_change", field: "vars", cause: "vars_invalid", detail: e.message };
      throw e;
    }
    try {
      after = applySettings(base, patch);
    } catch (e) {
      if (e instanceof ConfigError) return { ok: false, reason: "invalid_change", field: "opensAt", cause: "invalid_instant", detail: e.message };
      throw e;
    }
    const accepted = Math.max(state.room?.accepted ?? 0, options.accepted);
    const phase = state.room ? state.phase(now) : null;
    const problem =
      before && state.room && phase
        ? validateChange(before, after, { now, accepted, numbered: state.room.nextNumber - 1, prequeued: this.prequeue.size, phase })
        : validateNew(after);
    if (problem) return { ok: false, reason: "invalid_change", ...problem };
    const closes = before !== null && phase !== null && closesIntake(before, after, { accepted, phase });
    if (closes && !options.confirmClose) {
      return {
        ok: false,
        reason: "confirmation_required",
        field: "quota",
        cause: "would_close",
        detail: `a quota of ${after.quota} equals the ${accepted} submissions already accepted: the intake would close at once; confirm with the event's id`,
        values: { quota: after.quota, accepted },
      };
    }
    if (options.dryRun) return { ok: true, before, after, closed: closes };
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
      if (options.actor) this.audit(options.actor, before ? "event.update" : "event.create", before, after, now);
    });
    this.prequeue.commit(after, now);
    state.snap = null;
    logEvent("info", {
      what: "setting_changed",
      event: after.id,
      actor: actorKind(options.actor),
      source: options.source,
      fields: changedFields(before, after),
      configVersion: state.room!.configVersion,
    });
    // Every place is taken: the room closes as the QuotaCounter just did (its own word follows through its outbox).
    if (closes) this.close("quota_reached", options.actor, now, { via: "event.update", quota: after.quota, accepted });
    return { ok: true, before, after, closed: closes };
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

  /**
   * Closes the intake (quota reached, the kill switch, or a confirmed quota
   * change): no more numbers, no more calls (invariant 6). `cause` says, in
   * the audit row, what closed it when it was not the kill switch.
   */
  close(reason: ClosedReason, actor: string | null, now: number, cause: { via: string; quota: number; accepted: number } | null = null): { before: boolean; after: boolean } {
    const room = this.state.room!;
    const before = room.closedAt !== null;
    this.state.storage.transactionSync(() => {
      if (!before) {
        room.closedAt = now;
        room.closedReason = reason;
        this.state.save();
      }
      if (actor) this.audit(actor, "event.close", { closed: before }, { closed: true, reason: room.closedReason, ...(cause ?? {}) }, now);
      // The report gets the minute of closing without waiting for the next copy.
      this.history.copy(now);
    });
    this.state.snap = null;
    if (!before) logEvent("warn", { what: "intake_closed", event: room.config.id, actor: actorKind(actor), reason, via: cause?.via ?? "close" });
    return { before, after: true };
  }

  /**
   * Audits a change an operator asked for and was refused: who, what they
   * asked (the current values before, theirs after), and why. Nothing else changes.
   */
  refused(event: string, change: RefusedChange, now: number): void {
    const config = this.state.room?.config as Record<string, unknown> | undefined;
    const asked = Object.entries(change.asked ?? {}).slice(0, ASKED_KEYS);
    const before = config ? Object.fromEntries(asked.map(([k]) => [k, config[k] ?? null])) : null;
    const after = {
      ...Object.fromEntries(asked.map(([k, v]) => [k, keptValue(v)])),
      refused: { field: change.field, reason: change.cause, detail: change.detail.slice(0, 300) },
    };
    this.state.storage.transactionSync(() => this.audit(change.actor, "event.refused", before, after, now, event));
    logEvent("info", { what: "change_refused", event, actor: actorKind(change.actor), field: change.field, reason: change.cause });
  }

  /** Records an operator action in the outbox; the alarm copies it to D1's audit_log. */
  private audit(actor: string, action: string, before: unknown, after: unknown, now: number, event = this.state.room!.config.id): void {
    this.state.outbox.add({ kind: "audit", payload: { id: crypto.randomUUID(), eventId: event, actor, action, before, after, at: now } }, Date.now());
  }
}

/** The settings a change touched, by name. */
function changedFields(before: EventConfig | null, after: EventConfig): string[] {
  return (Object.keys(after) as (keyof EventConfig)[]).filter((k) => JSON.stringify(before?.[k]) !== JSON.stringify(after[k]));
}

/** A value as the audit keeps it: as sent, or its JSON cut short when it is long. */
function keptValue(value: unknown): unknown {
  const json = JSON.stringify(value);
  if (json === undefined) return null;
  return json.length <= ASKED_VALUE_CHARS ? value : `${json.slice(0, ASKED_VALUE_CHARS)}…`;
}
