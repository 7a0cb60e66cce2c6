// Which changes to a running event are allowed. Pure: the QueueRoom asks
// before it applies a change, and refuses it whole if any rule says no.
import type { EventConfig, Phase } from "./event";

export interface ChangeContext {
  now: number;
  /** Accepted submissions so far. */
  accepted: number;
  /** Numbers handed out so far. */
  numbered: number;
  /** Tickets waiting in the pre-queue for the draw. */
  prequeued?: number;
  phase: Phase;
}

/** Why a change is refused: a stable code (the ops API words it in the operator's language). */
export type ChangeReason =
  | "below_accepted"
  | "opens_at_locked"
  | "opens_at_past"
  | "prequeue_after_opening"
  | "prequeue_locked"
  | "intake_closed"
  | "invalid_instant"
  | "vars_invalid"
  | "would_close";

export interface ChangeProblem {
  field: string;
  cause: ChangeReason;
  /** The same in English, for logs and scripts. */
  detail: string;
  /** Figures the reason names (the accepted count, …). */
  values?: Record<string, number>;
}

const OPENS_AT_SLACK_MS = 60_000;

/** A quota below the `accepted` submissions: the room's check, and the counter's when it counted more meanwhile. */
export function belowAccepted(accepted: number): ChangeProblem {
  return { field: "quota", cause: "below_accepted", detail: `the quota cannot go below the ${accepted} submissions already accepted`, values: { accepted } };
}

export function validateChange(before: EventConfig, after: EventConfig, ctx: ChangeContext): ChangeProblem | null {
  if (after.quota < ctx.accepted) return belowAccepted(ctx.accepted);
  if (after.opensAt !== before.opensAt) {
    if (ctx.numbered > 0 || (ctx.prequeued ?? 0) > 0) {
      return { field: "opensAt", cause: "opens_at_locked", detail: "candidates already hold numbers: the opening time can no longer move" };
    }
    if (after.opensAt !== null && after.opensAt < ctx.now - OPENS_AT_SLACK_MS) {
      return { field: "opensAt", cause: "opens_at_past", detail: "the opening time is in the past" };
    }
  }
  if (after.prequeueOpensAt !== null && (after.opensAt === null || after.prequeueOpensAt >= after.opensAt)) {
    return { field: "prequeueOpensAt", cause: "prequeue_after_opening", detail: "the pre-queue must open before the opening time" };
  }
  if (after.prequeueOpensAt !== before.prequeueOpensAt) {
    const opened = (at: number | null) => at !== null && at <= ctx.now;
    if (opened(before.prequeueOpensAt) || opened(after.prequeueOpensAt) || ctx.numbered > 0 || ctx.phase !== "before_open") {
      return { field: "prequeueOpensAt", cause: "prequeue_locked", detail: "the pre-queue can only be scheduled, moved or cancelled before it opens" };
    }
  }
  if (ctx.phase === "closed" && after.quota !== before.quota) {
    return { field: "quota", cause: "intake_closed", detail: "the intake is closed: its quota can no longer change" };
  }
  return null;
}

/**
 * Whether a change would close an intake that is not closed: a quota brought
 * down to the submissions already accepted fills it at once, for everyone
 * still waiting, and cannot be undone. Such a change needs the same typed
 * confirmation as closing (below the accepted count it is refused outright).
 */
export function closesIntake(before: EventConfig, after: EventConfig, ctx: Pick<ChangeContext, "accepted" | "phase">): boolean {
  return ctx.phase !== "closed" && after.quota !== before.quota && after.quota === ctx.accepted;
}

/** The rules a new event's settings must meet on their own. */
export function validateNew(config: EventConfig): ChangeProblem | null {
  if (config.prequeueOpensAt !== null && (config.opensAt === null || config.prequeueOpensAt >= config.opensAt)) {
    return { field: "prequeueOpensAt", cause: "prequeue_after_opening", detail: "the pre-queue must open before the opening time" };
  }
  return null;
}
