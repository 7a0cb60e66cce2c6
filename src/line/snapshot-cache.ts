// The per-isolate cache of each room's snapshot. Polls are answered from it:
// at most one snapshot call a second per isolate and event reaches the
// QueueRoom, however many polls arrive (invariant 7).
import type { Snapshot } from "../durable/queue-room/queue-room";
import { IsolateCache } from "../http/isolate-cache";
import { queueRoom } from "../durable/shared/stubs";

export const SNAPSHOT_REFRESH_MS = 1_000;

// While a refresh is under way, polls that already have a snapshot use it.
const snapshots = new IsolateCache<Snapshot>(SNAPSHOT_REFRESH_MS, { staleWhileRefreshing: true });

/** The room's snapshot, at most SNAPSHOT_REFRESH_MS old (stale only while its refresh is under way). */
export function roomSnapshot(env: Env, eventId: string, now = Date.now()): Promise<Snapshot> {
  return snapshots.get(eventId, () => queueRoom(env, eventId).snapshot() as Promise<Snapshot>, now);
}

/** The cached snapshot when `roomSnapshot` would return it without waiting; null otherwise. Lets the poll's hot path answer without an await. */
export function cachedSnapshot(eventId: string, now = Date.now()): Snapshot | null {
  return snapshots.peek(eventId, now);
}

/** Drops this isolate's copy after a change it made itself (configure, close, pause). */
export function forgetSnapshot(eventId: string): void {
  snapshots.forget(eventId);
}

/** Snapshot calls this isolate made since it started (tests and benchmarks read it). */
export function snapshotRefreshes(): number {
  return snapshots.fetches;
}
