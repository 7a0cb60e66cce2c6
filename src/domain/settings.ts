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

export interface ChangeProblem {
  field: string;
  detail: string;
}

const OPENS_AT_SLACK_MS = 60_000;

export function validateChange(before: EventConfig, after: EventConfig, ctx: ChangeContext): ChangeProblem | null {
  if (after.quota < ctx.accepted) {
    return { field: "quota", detail: `the quota cannot go below the ${ctx.accepted} submissions already accepted` };
  }
  if (after.opensAt !== before.opensAt) {
    if (ctx.numbered > 0 || (ctx.prequeued ?? 0) > 0) {
      return { field: "opensAt", detail: "candidates already hold numbers: the opening time can no longer move" };
    }
    if (after.opensAt !== null && after.opensAt < ctx.now - OPENS_AT_SLACK_MS) {
      return { field: "opensAt", detail: "the opening time is in the past" };
    }
  }
  if (after.prequeueOpensAt !== null && (after.opensAt === null || after.prequeueOpensAt >= after.opensAt)) {
    return { field: "prequeueOpensAt", detail: "the pre-queue must open before the opening time" };
  }
  if (after.prequeueOpensAt !== before.prequeueOpensAt) {
    const opened = (at: number | null) => at !== null && at <= ctx.now;
    if (opened(before.prequeueOpensAt) || opened(after.prequeueOpensAt) || ctx.numbered > 0 || ctx.phase !== "before_open") {
      return { field: "prequeueOpensAt", detail: "the pre-queue can only be scheduled, moved or cancelled before it opens" };
    }
  }
  if (ctx.phase === "closed" && after.quota !== before.quota) {
    return { field: "quota", detail: "the intake is closed" };
  }
  return null;
}

/** The rules a new event's settings must meet on their own. */
export function validateNew(config: EventConfig): ChangeProblem | null {
  if (config.prequeueOpensAt !== null && (config.opensAt === null || config.prequeueOpensAt >= config.opensAt)) {
    return { field: "prequeueOpensAt", detail: "the pre-queue must open before the opening time" };
  }
  return null;
}
