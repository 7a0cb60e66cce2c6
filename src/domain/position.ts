// Where a waiting number stands, how long it may wait, and when to poll next.
// Pure: the Worker answers polls with these from a cached room snapshot.

/** Count of values in a sorted array that are < limit (binary search). */
function countBelow(sorted: readonly number[], limit: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * 1 for the next number to be called. Numbers above the cursor whose holders
 * left (`skipped`, sorted) are not counted, nor are returning no-shows, who
 * go first (`requeued`).
 */
export function positionOf(number: number, servingNumber: number, skipped: readonly number[], requeued = 0): number {
  const skippedAhead = countBelow(skipped, number) - countBelow(skipped, servingNumber + 1);
  return Math.max(1, number - servingNumber - skippedAhead + requeued);
}

export interface RateInput {
  /** Calls in the last minute, as the room counted them. */
  callsLastMinute: number;
  admitPerMinute: number;
  maxActive: number;
  admissionSeconds: number;
}

/** Calls a minute to expect: the recent rate once calling has started, else the policy's ceiling. */
export function expectedCallsPerMinute(r: RateInput): number {
  const turnover = (r.maxActive * 60) / Math.max(1, r.admissionSeconds);
  const ceiling = Math.min(r.admitPerMinute, Math.max(turnover, 1));
  return r.callsLastMinute > 0 ? r.callsLastMinute : ceiling;
}

export function estimateWaitSeconds(position: number, r: RateInput): number {
  return Math.ceil(((position - 1) / expectedCallsPerMinute(r)) * 60);
}

export const POLL_MIN_MS = 2_000;
export const POLL_MAX_MS = 30_000;

/** Near the front poll often; far back, rarely (the line moves slowly there). */
export function pollAfterMs(position: number): number {
  return Math.min(POLL_MAX_MS, POLL_MIN_MS + Math.max(0, position - 1) * 10);
}

/** Before opening: poll at the opening instant, but at least every 30 s. */
export function pollBeforeOpenMs(opensAt: number | null, now: number): number {
  if (opensAt === null) return POLL_MAX_MS;
  return Math.min(POLL_MAX_MS, Math.max(1_000, opensAt - now));
}
