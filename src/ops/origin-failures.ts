// The origin's failures as the proxy sees them (no answer in time, no
// connection, a 5xx answer), counted where every isolate's counts add up and
// outlive the isolate: the QueueRoom of the event the proxy fronts. An RPC per
// failure would put an outage's whole traffic on the room, so each isolate
// adds up its failures and reports them at most once a FLUSH_MS, and only
// while the origin fails; it also logs them then, one line per report. An
// isolate that dies before reporting loses at most its last FLUSH_MS of counts.
import { queueRoom } from "../durable/shared/stubs";
import { noOriginFailures, type OriginFailureKind } from "../durable/queue-room/types";
import { logEvent } from "./log";

export const FLUSH_MS = 1_000;

interface Pending {
  counts: Record<OriginFailureKind, number>;
  /** The first segment of each failing path (`/demande`), never the rest: a path may name an account. */
  paths: Set<string>;
}

const pending = new Map<string, Pending>();
const flushing = new Set<string>();

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The first path segment, in the characters a log line may carry. */
function firstSegment(path: string): string {
  const segment = /^\/[A-Za-z0-9_.-]{0,40}/.exec(path)?.[0] ?? "/";
  return segment;
}

/**
 * Counts one failed request to the origin for `eventId` and, unless a report
 * is already on its way, sends this isolate's counts to the room FLUSH_MS
 * later; the request's waitUntil keeps that report going after the response has left.
 */
export function noteOriginFailure(c: { env: Env; readonly executionCtx: { waitUntil(p: Promise<unknown>): void } }, eventId: string, kind: OriginFailureKind, path: string): void {
  let p = pending.get(eventId);
  if (!p) {
    p = { counts: noOriginFailures(), paths: new Set() };
    pending.set(eventId, p);
  }
  p.counts[kind] += 1;
  if (p.paths.size < 10) p.paths.add(firstSegment(path));
  if (flushing.has(eventId)) return;
  flushing.add(eventId);
  const report = sleep(FLUSH_MS).then(() => flush(c.env, eventId));
  try {
    c.executionCtx.waitUntil(report);
  } catch {
    // No execution context (a unit test calling the app directly): the report still runs while the isolate does.
  }
}

/** Sends the counts gathered so far; on failure they are kept for the next report. */
async function flush(env: Env, eventId: string): Promise<void> {
  const p = pending.get(eventId);
  pending.delete(eventId);
  try {
    if (!p) return;
    logEvent("warn", { what: "origin_failing", event: eventId, ...p.counts, paths: [...p.paths] });
    await queueRoom(env, eventId).noteOriginFailures(p.counts);
  } catch {
    if (!p) return;
    // The room did not take them: they ride with the next report.
    const next = pending.get(eventId) ?? { counts: noOriginFailures(), paths: new Set<string>() };
    for (const k of Object.keys(p.counts) as OriginFailureKind[]) next.counts[k] += p.counts[k];
    pending.set(eventId, next);
  } finally {
    flushing.delete(eventId);
  }
}
