// The per-isolate cache of each room's snapshot. Polls are answered from it:
// at most one snapshot call a second per isolate and event reaches the
// QueueRoom, however many polls arrive (invariant 7).
import type { Snapshot } from "../durable/queue-room/queue-room";

export const SNAPSHOT_REFRESH_MS = 1_000;

interface Entry {
  snapshot: Snapshot | null;
  fetchedAt: number;
  pending: Promise<Snapshot> | null;
}

const entries = new Map<string, Entry>();
let refreshes = 0;

/**
 * The room's snapshot, at most SNAPSHOT_REFRESH_MS old. Concurrent polls share
 * one refresh; while it is in flight, polls that already have a snapshot use it.
 */
export async function roomSnapshot(env: Env, eventId: string, now = Date.now()): Promise<Snapshot> {
  let entry = entries.get(eventId);
  if (!entry) {
    entry = { snapshot: null, fetchedAt: 0, pending: null };
    entries.set(eventId, entry);
  }
  if (entry.snapshot && now - entry.fetchedAt < SNAPSHOT_REFRESH_MS) return entry.snapshot;
  if (entry.pending) return entry.snapshot ?? entry.pending;
  const e = entry;
  refreshes += 1;
  e.pending = env.QUEUE_ROOM.getByName(eventId)
    .snapshot()
    .then((s) => {
      e.snapshot = s as Snapshot;
      e.fetchedAt = Date.now();
      return e.snapshot;
    })
    .finally(() => {
      e.pending = null;
    });
  return e.pending;
}

/**
 * The cached snapshot when `roomSnapshot` would return it without waiting
 * (fresh, or stale while a refresh is under way); null otherwise. Lets the
 * poll's hot path answer without an await.
 */
export function cachedSnapshot(eventId: string, now = Date.now()): Snapshot | null {
  const e = entries.get(eventId);
  if (!e?.snapshot) return null;
  return now - e.fetchedAt < SNAPSHOT_REFRESH_MS || e.pending ? e.snapshot : null;
}

/** Drops this isolate's copy after a change it made itself (configure, close, pause). */
export function forgetSnapshot(eventId: string): void {
  entries.delete(eventId);
}

/** Snapshot calls this isolate made since it started (tests and benchmarks read it). */
export function snapshotRefreshes(): number {
  return refreshes;
}
