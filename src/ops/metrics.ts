// The operators' metrics: the QueueRoom's and the QuotaCounter's views put
// together, and a per-isolate cache so that every dashboard, stream and scrape
// an isolate serves shares one fetch a second (the room is not loaded per viewer).
import { quotaCap } from "../domain/admission";
import { defaultEventId, type ClosedReason, type Phase } from "../domain/event";
import { iso } from "../domain/time";
import type { OriginFailureKind, RoomMetrics } from "../durable/queue-room/queue-room";
import type { CounterStats } from "../durable/quota-counter/quota-counter";
import { IsolateCache } from "../http/isolate-cache";
import { queueRoom, quotaCounter } from "../durable/shared/stubs";
import { logEvent } from "./log";

export interface OpsMetrics {
  event: string;
  /** When the room computed it (ISO). */
  at: string;
  phase: Phase;
  paused: boolean;
  opensAt: string | null;
  closedAt: string | null;
  closedReason: ClosedReason | null;
  configVersion: number;
  settings: RoomMetrics["settings"] & { quotaCap: number };
  /**
   * Numbers handed out, the highest called, and tickets by state now
   * (`waiting` includes `requeued`). Once closed, `waiting` and `requeued`
   * are 0 and `waitingAtClose` says how many were still waiting.
   */
  line: RoomMetrics["tickets"] & { entered: number; servingNumber: number; noShowLapses: number; waitingAtClose: number | null };
  submissions: {
    quota: number;
    accepted: number;
    placesLeft: number;
    /** Always-eligible submissions, outside the quota. */
    eligible: number;
    paid: number;
    duplicatesRefused: number;
    deviceRefusals: number;
    quotaRefusals: number;
    /** Refused because their admission was already used for another account or application (409 admission_used). */
    admissionUsedRefusals: number;
    /** Accepted although their person key matched, on the origin's namesake review. */
    namesakeOverrides: number;
    closed: boolean;
  };
  /** Counts over the last 60 seconds. */
  perMinute: { arrivals: number; calls: number; submissions: number };
  wait: RoomMetrics["wait"];
  /** At the last minute's submission rate; 0 once filled, null when nothing is being submitted. */
  quotaFillEtaSeconds: number | null;
  /** The announced end of the intake (INTAKE_CLOSES_AT, default event only), ISO; null when not set. */
  intakeClosesAt: string | null;
  /** The lowest number still waiting and for how long; null when nobody waits (and once closed). */
  oldestWaiting: RoomMetrics["oldestWaiting"];
  /** The origin's failures the proxy counted since the event began (the default event's), by kind. */
  origin: { failures: Record<OriginFailureKind, number>; lastFailureAt: string | null };
  /** The addresses (HMAC tags) that took the most numbers in their last minute paying more than the event's puzzle, and the bits asked of them. */
  busiestAddresses: RoomMetrics["busiestAddresses"];
  durableObjects: {
    queueRoom: { callsPerMinute: number; callsTotal: number; outboxPending: number; outboxFailing: number };
    quotaCounter: { callsPerMinute: number; callsTotal: number; outboxPending: number; outboxFailing: number };
  };
  /** The deployed Worker version (Cloudflare's version metadata; "unknown" without the binding). */
  build: { version: string; versionTag: string };
}

/** What composeMetrics reads from the deployment, beside the two objects. */
export interface Deployment {
  intakeClosesAt: number | null;
  version: string;
  versionTag: string;
}

/** Seconds until the quota is filled at `perMinute` submissions a minute. */
export function quotaFillEtaSeconds(placesLeft: number, perMinute: number): number | null {
  if (placesLeft <= 0) return 0;
  if (perMinute <= 0) return null;
  return Math.ceil((placesLeft / perMinute) * 60);
}

/** Puts the two objects' views together. Before the first submission the counter has no state: the room's word stands. */
export function composeMetrics(room: RoomMetrics, counter: CounterStats | null, deployment: Deployment = { intakeClosesAt: null, version: "unknown", versionTag: "" }): OpsMetrics {
  const quota = counter?.quota ?? room.settings.quota;
  const accepted = counter?.accepted ?? room.accepted;
  const placesLeft = Math.max(0, quota - accepted);
  const submissionsPerMinute = counter?.lastMinute.accepted ?? 0;
  return {
    event: room.event,
    at: iso(room.generatedAt),
    phase: room.phase,
    paused: room.paused,
    opensAt: iso(room.opensAt),
    closedAt: iso(room.closedAt),
    closedReason: room.closedReason ?? counter?.closedReason ?? null,
    configVersion: room.configVersion,
    settings: { ...room.settings, quotaCap: quotaCap(room.settings.quota, room.settings.overbook) },
    line: { entered: room.entered, servingNumber: room.servingNumber, ...room.tickets, noShowLapses: room.noShowLapses, waitingAtClose: room.waitingAtClose },
    submissions: {
      quota,
      accepted,
      placesLeft,
      eligible: counter?.eligible ?? 0,
      paid: counter?.paid ?? 0,
      duplicatesRefused: counter?.refusedDuplicates ?? 0,
      deviceRefusals: counter?.refusedDevices ?? 0,
      quotaRefusals: counter?.refusedQuota ?? 0,
      admissionUsedRefusals: counter?.refusedAdmissionUsed ?? 0,
      namesakeOverrides: counter?.namesakeOverrides ?? 0,
      closed: (counter?.closed ?? false) || room.closedAt !== null,
    },
    perMinute: { arrivals: room.lastMinute.arrivals, calls: room.lastMinute.calls, submissions: submissionsPerMinute },
    wait: room.wait,
    quotaFillEtaSeconds: quotaFillEtaSeconds(placesLeft, submissionsPerMinute),
    intakeClosesAt: iso(deployment.intakeClosesAt),
    oldestWaiting: room.oldestWaiting,
    origin: { failures: room.originFailures.byKind, lastFailureAt: iso(room.originFailures.lastAt) },
    busiestAddresses: room.busiestAddresses,
    durableObjects: {
      queueRoom: { callsPerMinute: room.rpcCalls.perMinute, callsTotal: room.rpcCalls.total, outboxPending: room.outboxPending, outboxFailing: room.outboxFailing },
      quotaCounter: {
        callsPerMinute: counter?.rpcCalls.perMinute ?? 0,
        callsTotal: counter?.rpcCalls.total ?? 0,
        outboxPending: counter?.outbox.pending ?? 0,
        outboxFailing: counter?.outbox.failing ?? 0,
      },
    },
    build: { version: deployment.version, versionTag: deployment.versionTag },
  };
}

/** INTAKE_CLOSES_AT (the default event's announced end) and the Worker's version, from the bindings. */
function deploymentOf(env: Env, eventId: string): Deployment {
  const raw = eventId === defaultEventId(env) ? env.INTAKE_CLOSES_AT?.trim() : "";
  const at = raw ? Date.parse(raw) : NaN;
  return {
    intakeClosesAt: Number.isFinite(at) ? at : null,
    version: env.CF_VERSION_METADATA?.id || "unknown",
    versionTag: env.CF_VERSION_METADATA?.tag ?? "",
  };
}

/**
 * Outbox failures as this isolate last saw them, by event and object: the
 * first metrics read that finds an outbox failing logs it, and the first that
 * finds it recovered logs that (each isolate says it once; Prometheus'
 * scrape reads the metrics every few seconds).
 */
const outboxSeenFailing = new Map<string, boolean>();

function logOutboxChanges(m: OpsMetrics): void {
  for (const [object, o] of [
    ["queue_room", m.durableObjects.queueRoom],
    ["quota_counter", m.durableObjects.quotaCounter],
  ] as const) {
    const key = `${m.event}\n${object}`;
    const failing = o.outboxFailing > 0;
    if (failing === (outboxSeenFailing.get(key) ?? false)) continue;
    outboxSeenFailing.set(key, failing);
    if (failing) logEvent("error", { what: "outbox_failing", event: m.event, object, pending: o.outboxPending, failing: o.outboxFailing });
    else logEvent("info", { what: "outbox_recovered", event: m.event, object });
  }
}

/** One fetch from both objects; null when the event does not exist. */
async function fetchMetrics(env: Env, eventId: string): Promise<OpsMetrics | null> {
  const [room, counter] = await Promise.all([
    queueRoom(env, eventId).metrics() as Promise<RoomMetrics | null>,
    quotaCounter(env, eventId).stats() as Promise<CounterStats | null>,
  ]);
  if (!room) return null;
  const m = composeMetrics(room, counter, deploymentOf(env, eventId));
  logOutboxChanges(m);
  return m;
}

export const METRICS_FRESH_MS = 1_000;

// A viewer waits for a refresh under way rather than see the last second again: a stream says so when the objects do not answer.
const metrics = new IsolateCache<OpsMetrics | null>(METRICS_FRESH_MS, { staleWhileRefreshing: false });

/**
 * The event's metrics, at most METRICS_FRESH_MS old: concurrent callers in
 * this isolate (streams, API calls, scrapes) share one fetch. `keepAlive`
 * (the request's waitUntil) keeps the fetch going if its request ends first.
 */
export function sharedMetrics(env: Env, eventId: string, keepAlive?: (p: Promise<unknown>) => void, now = Date.now()): Promise<OpsMetrics | null> {
  return metrics.get(eventId, () => fetchMetrics(env, eventId), now, keepAlive);
}

/** Drops this isolate's copy after a change it made itself (a control), so the next read shows it. */
export function forgetMetrics(eventId: string): void {
  metrics.forget(eventId);
}

/** Metrics fetches this isolate made since it started (tests read it). */
export function metricsFetches(): number {
  return metrics.fetches;
}
