// The admission policy of architecture.md: how many numbers the next tick may
// call. Pure: the QueueRoom gives it counts, it gives back a budget.

export interface CallBudgetInput {
  /** Called or admitted, not yet used, expired, released or left. */
  active: number;
  /** Accepted submissions, as last told by the QuotaCounter. */
  accepted: number;
  /** Calls made in the last 60 seconds. */
  callsLastMinute: number;
  maxActive: number;
  admitPerMinute: number;
  quota: number;
  overbook: number;
}

/** The whole-number cap on active admissions plus accepted submissions. */
export function quotaCap(quota: number, overbook: number): number {
  return Math.floor(quota * overbook + 1e-9);
}

/**
 * How many numbers may be called now. All three limits hold after the call:
 * active < maxActive, calls in a minute ≤ admitPerMinute (spread over the
 * minute: at most a sixtieth of it per one-second tick), and active + accepted
 * ≤ quota × overbook, so with overbook 1 no admitted candidate can find the
 * quota filled by others.
 */
export function callBudget(i: CallBudgetInput): number {
  const capacity = i.maxActive - i.active;
  const perTick = Math.ceil(i.admitPerMinute / 60);
  const rate = Math.min(i.admitPerMinute - i.callsLastMinute, perTick);
  const quotaRoom = quotaCap(i.quota, i.overbook) - i.active - i.accepted;
  return Math.max(0, Math.min(capacity, rate, quotaRoom));
}

/** Seconds an expired admission still holds its place, for clock skew between objects. */
export const EXPIRY_MARGIN_MS = 30_000;
