// The origin's calls to the gateway, server to server (contract:
// "Submissions"): submit, release an admission, read a receipt's status, record
// a payment. Every answer of the contract becomes a typed outcome; a network
// failure or a 5xx becomes "unavailable" (the candidate may retry: a retry with
// the same admission token returns the same receipt).
import type { Applicant } from "./accounts";
import { gatewayUrl, type DemoEnv } from "./env";

const TIMEOUT_MS = 10_000;

export interface GatewayReceipt {
  id: string;
  rank: number | null;
  quota: number;
  status?: string;
  acceptedAt: string;
  paymentDueAt: string;
  paidAt?: string | null;
  receiptToken: string;
}

export interface SubmissionRequest {
  admissionToken: string;
  /** The event of the admission: the gateway checks the token against it. */
  eventId: string;
  accountId: string;
  applicationId: string;
  applicant: Applicant;
  signedByRepresentative: boolean;
  representativeId: string | null;
  /** Client hints of the candidate's request; absent ones are left out. */
  device: { userAgent?: string; mobileHint?: string; platformHint?: string };
}

export type SubmitOutcome =
  | { kind: "accepted"; receipt: GatewayReceipt; replay: boolean }
  | { kind: "duplicate"; firstReceiptId: string | null; by: "account" | "identity" | null }
  | { kind: "device_not_allowed" }
  | { kind: "quota_reached" }
  | { kind: "closed_by_operator" }
  | { kind: "admission_expired" }
  | { kind: "admission_invalid"; revoked: boolean }
  | { kind: "invalid_body"; field: string | null }
  | { kind: "origin_refused" }
  | { kind: "unavailable"; status: number | null };

export type ReleaseOutcome = { kind: "released" } | { kind: "admission_invalid" } | { kind: "origin_refused" } | { kind: "unavailable"; status: number | null };

export type SubmissionStatus = { kind: "found"; submission: GatewayReceipt } | { kind: "not_found" } | { kind: "refused" } | { kind: "unavailable"; status: number | null };

/** A request to the gateway: through the GATEWAY service binding when there is one, else to GATEWAY_URL. */
async function call(env: DemoEnv, path: string, init: { method: string; bearer: string; json?: unknown }): Promise<{ status: number; body: any } | null> {
  const url = new URL(path, gatewayUrl(env));
  const headers = new Headers({ authorization: `Bearer ${init.bearer}`, accept: "application/json" });
  if (init.json !== undefined) headers.set("content-type", "application/json");
  const request = new Request(url, {
    method: init.method,
    headers,
    body: init.json === undefined ? undefined : JSON.stringify(init.json),
    signal: AbortSignal.timeout(TIMEOUT_MS),
    redirect: "manual",
  });
  try {
    const res = env.GATEWAY ? await env.GATEWAY.fetch(request) : await fetch(request);
    const text = await res.text();
    let body: any = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    return { status: res.status, body };
  } catch (e) {
    // Not logged with the request: it carries personal data.
    console.warn(JSON.stringify({ level: "warn", what: "gateway_unreachable", path: url.pathname, error: e instanceof Error ? e.name : "unknown" }));
    return null;
  }
}

const withEvent = (path: string, eventId: string) => `${path}?event=${encodeURIComponent(eventId)}`;
const codeOf = (body: any): string | null => (typeof body?.error?.code === "string" ? body.error.code : null);

export async function submitApplication(env: DemoEnv, r: SubmissionRequest): Promise<SubmitOutcome> {
  const res = await call(env, withEvent("/guichet/api/submissions", r.eventId), {
    method: "POST",
    bearer: env.ORIGIN_API_KEY,
    json: {
      admissionToken: r.admissionToken,
      accountId: r.accountId,
      applicationId: r.applicationId,
      applicant: r.applicant,
      signedByRepresentative: r.signedByRepresentative,
      representativeId: r.representativeId,
      device: r.device,
    },
  });
  if (!res) return { kind: "unavailable", status: null };
  const code = codeOf(res.body);
  if ((res.status === 201 || res.status === 200) && res.body?.receipt) {
    return { kind: "accepted", receipt: res.body.receipt as GatewayReceipt, replay: res.status === 200 && res.body.replay === true };
  }
  if (res.status === 409 && code === "duplicate") {
    const by = res.body.error.by;
    return { kind: "duplicate", firstReceiptId: res.body.error.firstReceiptId ?? null, by: by === "account" || by === "identity" ? by : null };
  }
  if (res.status === 403 && code === "device_not_allowed") return { kind: "device_not_allowed" };
  if (res.status === 410 && code === "quota_reached") return { kind: "quota_reached" };
  if (res.status === 410 && code === "closed_by_operator") return { kind: "closed_by_operator" };
  if (res.status === 410 && code === "admission_expired") return { kind: "admission_expired" };
  if (res.status === 401 && code === "admission_invalid") return { kind: "admission_invalid", revoked: res.body.error.revoked === true };
  if (res.status === 422) return { kind: "invalid_body", field: typeof res.body?.error?.field === "string" ? res.body.error.field : null };
  // 401 unauthorized (a wrong ORIGIN_API_KEY), 404 unknown_event, 400, 413, 415: the origin's own fault.
  if (res.status >= 400 && res.status < 500) return { kind: "origin_refused" };
  return { kind: "unavailable", status: res.status };
}

/** "Quitter sans soumettre": frees the candidate's place at once. */
export async function releaseAdmission(env: DemoEnv, admissionToken: string, eventId: string): Promise<ReleaseOutcome> {
  const res = await call(env, withEvent("/guichet/api/admissions/release", eventId), { method: "POST", bearer: env.ORIGIN_API_KEY, json: { admissionToken } });
  if (!res) return { kind: "unavailable", status: null };
  if (res.status === 200) return { kind: "released" };
  const code = codeOf(res.body);
  if (code === "admission_invalid" || code === "admission_expired") return { kind: "admission_invalid" };
  if (res.status >= 400 && res.status < 500) return { kind: "origin_refused" };
  return { kind: "unavailable", status: res.status };
}

/** The submission's live status, read with the candidate's receipt token. */
export async function submissionStatus(env: DemoEnv, id: string, receiptToken: string): Promise<SubmissionStatus> {
  const res = await call(env, `/guichet/api/submissions/${encodeURIComponent(id)}`, { method: "GET", bearer: receiptToken });
  if (!res) return { kind: "unavailable", status: null };
  if (res.status === 200 && res.body?.submission) return { kind: "found", submission: res.body.submission as GatewayReceipt };
  if (res.status === 404) return { kind: "not_found" };
  if (res.status === 401) return { kind: "refused" };
  return { kind: "unavailable", status: res.status };
}

export type PaymentOutcome = { kind: "paid"; submission: GatewayReceipt } | { kind: "refused"; reason: string | null } | { kind: "unavailable"; status: number | null };

/** Records the payment of the fees (the demo's stand-in for the card payment). */
export async function recordPayment(env: DemoEnv, id: string, eventId: string, reference: string): Promise<PaymentOutcome> {
  const res = await call(env, withEvent(`/guichet/api/submissions/${encodeURIComponent(id)}/payment`, eventId), {
    method: "POST",
    bearer: env.ORIGIN_API_KEY,
    json: { reference },
  });
  if (!res) return { kind: "unavailable", status: null };
  if (res.status === 200 && res.body?.submission) return { kind: "paid", submission: res.body.submission as GatewayReceipt };
  if (res.status >= 400 && res.status < 500) return { kind: "refused", reason: res.body?.error?.reason ?? codeOf(res.body) };
  return { kind: "unavailable", status: res.status };
}
