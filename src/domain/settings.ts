// Which changes to a running event are allowed. Pure: the QueueRoom asks
// before it applies a change, and refuses it whole if any rule says no.
import type { EventConfig, Phase } from "./event";

export interface ChangeContext {
  now: number;
  /** Accepted submissions so far. */
  accepted: number;
  /** Numbers handed out so far. */
  numbered: number;
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
    if (ctx.numbered > 0) {
      return { field: "opensAt", detail: "candidates already hold numbers: the opening time can no longer move" };
    }
    if (after.opensAt !== null && after.opensAt < ctx.now - OPENS_AT_SLACK_MS) {
      return { field: "opensAt", detail: "the opening time is in the past" };
    }
  }
  if (ctx.phase === "closed" && after.quota !== before.quota) {
    return { field: "quota", detail: "the intake is closed" };
  }
  return null;
}
