// Every error code: the statuses it comes with, whether sending the same
// request again may succeed, and what the caller (the origin's server, the
// room page, an operator's tool) should do. The OpenAPI document and
// docs/contract.md show this table; a code without an entry does not compile.
import type { ErrorCode } from "../http/errors";

export interface ErrorInfo {
  status: readonly number[];
  /**
   * Whether the same request, sent again unchanged, may succeed: `true` (after
   * `Retry-After` or `retryAfterSeconds` when the answer gives one), `false`
   * (it will get the same answer: change something first).
   */
  retryable: boolean;
  /** What the caller should do, for the people who write it. */
  action: string;
}

export const ERRORS = {
  // ---------------------------------------------------------------- bodies, queries, headers
  invalid_json: { status: [400], retryable: false, action: "A bug in the caller: send a JSON body. Nothing was recorded." },
  invalid_body: {
    status: [400, 422],
    retryable: false,
    action: "Fix the field named in `field` (an unknown field is named itself; `(body)`: the body is missing; `(encoding)`: not UTF-8) and send again. Nothing was recorded.",
  },
  payload_too_large: { status: [413], retryable: false, action: "A bug in the caller: the body is over `limitBytes`. Nothing was recorded." },
  unsupported_media_type: { status: [415], retryable: false, action: "Send `Content-Type: application/json`. Nothing was recorded." },
  invalid_query: { status: [400], retryable: false, action: "Fix the query parameter named in `field` (ops history: `from`, `to`; the export: `format`)." },
  invalid_header: { status: [400], retryable: false, action: "Fix the header named in `field` (X-Guichet-Touch-Points: an integer 0 to 256)." },
  secret_in_url: { status: [400], retryable: false, action: "A bug in the caller: send keys and receipt tokens in `Authorization` only, never in the query (`parameter` names it). Nothing was recorded." },
  // ---------------------------------------------------------------- credentials
  unauthorized: {
    status: [401],
    retryable: false,
    action: "Origin routes: ORIGIN_API_KEY is missing or wrong, a configuration error on the origin's side, not the candidate's. Receipt reads: the receipt token is expired, tampered, of a retired key or for another submission; read the submission with ORIGIN_API_KEY to get a fresh one.",
  },
  read_only: { status: [403], retryable: false, action: "METRICS_TOKEN reads only: use OPS_TOKEN (or Access) for this route." },
  bad_origin: { status: [403], retryable: false, action: "A cross-site request: send it from the gateway's own pages, or from a server without Origin or Sec-Fetch-Site." },
  // ---------------------------------------------------------------- admissions (origin)
  admission_invalid: {
    status: [401],
    retryable: false,
    action:
      "The admission cannot be used: send the candidate back to /guichet/. `reason` says why: `revoked` (released, or its ticket left the line), `session_token` (a pre-opening session, not an admission), `not_yet_valid` (its nbf is ahead: check the clocks), `event_mismatch` (call with ?event= set to `tokenEvent`, the token's evt), `invalid` (signature, key, issuer, audience, scope or claims).",
  },
  admission_expired: {
    status: [410],
    retryable: false,
    action: "The admission time is over and it was never accepted: send the candidate back to /guichet/ for a new number. (A submission accepted before exp is answered with its 200 replay instead.)",
  },
  admission_used: {
    status: [409],
    retryable: false,
    action: "The admission was already tried with another (accountId, applicationId): a bug or a replay on the origin's side. Never retry it for another application.",
  },
  duplicate: {
    status: [409],
    retryable: false,
    action: "A final refusal: this account or person already has an accepted submission (`firstReceiptId`, `by`). Release the admission. For `by: person`, a human review may resubmit the same pair with namesakeReviewed.",
  },
  device_not_allowed: { status: [403], retryable: false, action: "A final refusal for this device: only personal computers may submit. Release the admission, or submit the same pair again from a computer while the admission is valid." },
  quota_reached: { status: [410], retryable: false, action: "The quota is filled and the intake closed: tell the candidate. Release the admission." },
  closed_by_operator: { status: [410], retryable: false, action: "The operators closed the intake: tell the candidate. Release the admission. (Always-eligible submissions are still taken.)" },
  already_paid: { status: [409], retryable: false, action: "The submission is paid under another reference (`reference`, `paidAt`): do not charge again; reconcile the two payments." },
  invalid_change: {
    status: [409, 422],
    retryable: false,
    action: "Payments (409, `reason`): `payment_too_late` (already expired_unpaid) or `withdrawn`: do not charge. Ops changes (422, `field`, `reason`, `detail`): fix the setting as the `message` says.",
  },
  confirmation_required: {
    status: [409],
    retryable: false,
    action: "The change would close the intake (`field`, `reason`, `quota`, `accepted`): send it again with `confirmClose` set to the event's id only if closing is meant.",
  },
  // ---------------------------------------------------------------- events, paths
  unknown_event: { status: [404], retryable: false, action: "No such event: use the token's `evt` as ?event=, or none for the default event." },
  not_found: { status: [404], retryable: false, action: "No such route or submission: check the path and, for a submission, ?event=." },
  method_not_allowed: { status: [405], retryable: false, action: "Not answered today: a wrong method is 404 not_found." },
  ambiguous_path: { status: [400], retryable: false, action: "A path an origin could read as another: never proxied. Link to the plain path." },
  path_closed: { status: [403], retryable: true, action: "Closed during the intake: try again after `reopensAt`." },
  admission_required: { status: [401], retryable: false, action: "A protected path without a valid admission (`reason`: missing, invalid, expired): go through /guichet/." },
  // ---------------------------------------------------------------- the line (candidates)
  no_ticket: { status: [401], retryable: false, action: "No ticket cookie: POST /guichet/api/enter first." },
  bad_ticket: { status: [401], retryable: false, action: "A ticket for another event or tampered: POST /guichet/api/enter for a new number." },
  ticket_left: { status: [410], retryable: false, action: "The ticket gave up its number: enter again for a new one, at the back." },
  not_open: { status: [409], retryable: true, action: "Before the opening: try again at `opensAt` (`Retry-After` gives the seconds)." },
  closed: { status: [410], retryable: false, action: "The intake is closed (`closedReason`)." },
  not_your_turn: { status: [409], retryable: true, action: "Keep polling /guichet/api/status (pollAfterMs) and claim at `your_turn`." },
  turn_lost: { status: [410], retryable: false, action: "The admission was used, released or expired: enter again for a new number." },
  pow_required: { status: [403], retryable: false, action: "Solve the entry puzzle from `challengeUrl` and send it as `pow`." },
  pow_invalid: { status: [403], retryable: false, action: "Fetch a new puzzle from `challengeUrl` and solve it." },
  pow_expired: { status: [403], retryable: false, action: "Fetch a new puzzle (they last 120 s) from `challengeUrl`." },
  pow_too_easy: { status: [403], retryable: false, action: "The difficulty rose to `difficulty`: fetch a new puzzle from `challengeUrl`." },
  pow_reused: { status: [403], retryable: false, action: "A puzzle serves once: fetch a new one." },
  turnstile_failed: { status: [403], retryable: false, action: "Run the Turnstile check again and send its new token." },
  rate_limited: { status: [429], retryable: true, action: "Too many from one address: wait `Retry-After` seconds (`retryAfterSeconds`)." },
  // ---------------------------------------------------------------- the gateway itself
  origin_unavailable: { status: [502], retryable: true, action: "The origin cannot be reached: try again after `Retry-After`; nobody loses their place." },
  origin_timeout: { status: [504], retryable: true, action: "The origin sent no headers in time: try again after `Retry-After`." },
  misconfigured: {
    status: [500, 503],
    retryable: true,
    action: "The gateway's configuration is wrong (`settings`, `problems`): tell its operators. Nothing was recorded; retry with the same admission once it is fixed.",
  },
  internal: { status: [500], retryable: true, action: "An unexpected error: retry with the same request. A submission retried with the same admission and pair gets its receipt, never a second place." },
} as const satisfies Record<ErrorCode, ErrorInfo>;

/** Every code, in the table's order. */
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];
