// The shape of every answer of the candidate, origin and discovery routes, as
// zod schemas. The requests' schemas are the routes' own (they validate);
// these document the answers in the OpenAPI document, and the contract tests
// parse real answers with them, strictly, so an answer cannot grow a field
// the document does not show.
import * as z from "zod";
import { ERROR_CODES } from "./errors";

const instant = z.iso.datetime().meta({ description: "ISO-8601, UTC" });
const count = z.number().int().min(0);
const device = z.enum(["desktop", "mobile", "tablet"]);

// ---------------------------------------------------------------- errors

export const ErrorBody = z
  .strictObject({
    error: z.strictObject({
      code: z.enum(ERROR_CODES).meta({ description: "Stable; the table of codes says which are retryable and what to do" }),
      message: z.string().meta({ description: "For people: French, or English with ?lang=en or Accept-Language: en" }),
      field: z.string().optional().meta({ description: "invalid_body, invalid_query, invalid_header, invalid_change: the field at fault, dotted (applicant.birthDate); an unknown field is named itself" }),
      limitBytes: z.number().int().optional().meta({ description: "payload_too_large: the route's limit" }),
      parameter: z.string().optional().meta({ description: "secret_in_url: the query parameter, in lower case" }),
      reason: z.string().optional().meta({
        description:
          "admission_invalid: revoked, session_token, not_yet_valid, event_mismatch or invalid; admission_required: missing, invalid or expired; invalid_change on a payment: payment_too_late or withdrawn",
      }),
      revoked: z.literal(true).optional().meta({ description: "admission_invalid: released by the origin, or its ticket left the line (also reason: revoked)" }),
      tokenEvent: z.string().optional().meta({ description: "admission_invalid with reason event_mismatch: the token's evt, for ?event=" }),
      firstReceiptId: z.string().optional().meta({ description: "duplicate: the receipt of the submission already accepted" }),
      by: z.enum(["account", "identity", "person"]).optional().meta({ description: "duplicate: the key that matched" }),
      reference: z.string().optional().meta({ description: "already_paid: the reference recorded" }),
      paidAt: instant.optional().meta({ description: "already_paid: when it was recorded" }),
      detail: z.string().optional().meta({ description: "invalid_change on an ops change: what the rule says" }),
      closedReason: z.enum(["quota_reached", "closed_by_operator"]).nullable().optional().meta({ description: "closed: why" }),
      opensAt: instant.nullable().optional().meta({ description: "not_open: the opening" }),
      reopensAt: instant.nullable().optional().meta({ description: "path_closed: when the path reopens" }),
      retryAfterSeconds: z.number().int().optional().meta({ description: "rate_limited: as Retry-After" }),
      difficulty: z.number().int().optional().meta({ description: "pow_*: the zero bits a puzzle needs now" }),
      challengeUrl: z.string().optional().meta({ description: "pow_*: where to fetch a puzzle" }),
      settings: z.array(z.string()).optional().meta({ description: "misconfigured (503): the settings at fault" }),
      problems: z.array(z.strictObject({ setting: z.string(), problem: z.string() })).optional().meta({ description: "misconfigured (503): what is wrong with each, never a value" }),
    }),
  })
  .meta({ description: "Every error: a stable code, a message for people, and the details its code names" });

// ---------------------------------------------------------------- the origin's routes

export const Receipt = z
  .strictObject({
    id: z.uuid().meta({ description: "The submission's id" }),
    kind: z.enum(["quota", "eligible"]).meta({ description: "From the line (counted against the quota) or always eligible" }),
    rank: z.number().int().min(1).nullable().meta({ description: "1…quota for the line's submissions; null for always-eligible ones" }),
    quota: count.meta({ description: "The event's quota" }),
    status: z.enum(["accepted", "paid", "expired_unpaid", "withdrawn"]),
    acceptedAt: instant,
    paymentDueAt: instant.meta({ description: "30 days after acceptance" }),
    paidAt: instant.nullable(),
    paymentReference: z.string().nullable().meta({ description: "The origin's payment reference, once paid (null for a payment recorded before references were kept)" }),
    receiptToken: z
      .string()
      .regex(/^r2\.[A-Za-z0-9_-]{1,32}\.[a-z0-9][a-z0-9-]{0,62}\.[0-9a-f-]{36}\.[1-9]\d{0,11}\.[A-Za-z0-9_-]{43}$/)
      .meta({ description: "r2.<kid>.<eventId>.<submissionId>.<exp>.<mac>: reads this one submission (Authorization: Bearer) until exp, about 60 days" }),
  })
  .meta({ description: "A submission as recorded: the receipt the candidate keeps" });

export const SubmitAccepted = z.strictObject({ receipt: Receipt }).meta({ description: "Accepted now" });
export const SubmitReplay = z
  .strictObject({ receipt: Receipt, replay: z.literal(true) })
  .meta({ description: "The same admission and (accountId, applicationId) again: the original receipt, no second place" });
export const SubmissionAnswer = z.strictObject({ submission: Receipt }).meta({ description: "The submission, with a fresh receipt token (current key, same exp)" });
export const ReleaseAnswer = z
  .strictObject({
    released: z.boolean().meta({ description: "Whether the admission is released (now, or by an earlier call); false when it had ended otherwise (used, expired, its ticket left) or the room does not know it" }),
    submitted: z.boolean().meta({ description: "Whether the admission had been used for an accepted submission" }),
    number: count.meta({ description: "The candidate's number in the line" }),
  })
  .meta({ description: "The admission, ended early" });

// ---------------------------------------------------------------- the candidate's routes

export const StatusBody = z
  .strictObject({
    event: z.string(),
    state: z.enum(["before_open", "not_entered", "waiting", "your_turn", "admitted", "expired", "closed"]),
    number: z.number().int().min(1).nullable().meta({ description: "The ticket's number; null without one (and in the pre-queue before the draw)" }),
    position: z.number().int().min(0).nullable().meta({ description: "1 for the next to be called; 0 at the turn and while admitted" }),
    ahead: z.number().int().min(0).nullable().meta({ description: "position − 1" }),
    servingNumber: count.meta({ description: "The highest number called" }),
    waitingCount: count,
    estimatedWaitSeconds: count.nullable(),
    opensAt: instant.nullable(),
    admissionExpiresAt: instant.nullable().meta({ description: "While admitted: when the admission ends" }),
    claimDeadline: instant.nullable().meta({ description: "At your_turn: when the call lapses if not claimed" }),
    quota: z.strictObject({ total: count, accepted: count, closed: z.boolean() }),
    pollAfterMs: count.nullable().meta({ description: "When to poll next; null once nothing more can change" }),
    paused: z.boolean(),
    closedReason: z.enum(["quota_reached", "closed_by_operator"]).nullable(),
    outcome: z.enum(["submitted", "released"]).nullable(),
    banner: z.string().nullable(),
    prequeue: z
      .strictObject({ opensAt: instant, count, commitment: z.string(), drawn: z.boolean(), publicId: z.string().nullable() })
      .nullable()
      .meta({ description: "The fair opening's pre-queue; null in strict arrival order" }),
    powDifficulty: count,
    device: device.optional().meta({ description: "The device class this request shows; absent for a person without a number asking GET /guichet/" }),
  })
  .meta({ description: "A ticket's state in the line" });

export const ClaimAnswer = z
  .strictObject({
    admission: z.strictObject({ token: z.string().meta({ description: "The admission token (ES256 JWT), also set as the admission cookie" }), expiresAt: instant }),
    redirect: z.string().meta({ description: "Where to go next: the origin's login page" }),
  })
  .meta({ description: "The turn, claimed" });
export const LeaveAnswer = z.strictObject({ left: z.literal(true), number: count, submitted: z.boolean() }).meta({ description: "The number, given up" });
export const ChallengeAnswer = z
  .strictObject({ challenge: z.string().nullable(), difficulty: count, expiresAt: instant.nullable() })
  .meta({ description: "An entry puzzle, good 120 s; nulls and 0 when the event asks for none" });
export const FairnessRecord = z
  .strictObject({
    event: z.string(),
    mode: z.enum(["fifo", "prequeue"]),
    prequeueOpensAt: instant.nullable(),
    opensAt: instant.nullable(),
    commitment: z.string().nullable(),
    committedAt: instant.nullable(),
    seed: z.string().nullable().meta({ description: "Revealed once the draw is done" }),
    shuffledAt: instant.nullable(),
    shuffleMs: z.number().nullable(),
    count,
    tickets: z.array(z.strictObject({ publicId: z.string(), number: z.number().int().min(1) })).nullable(),
    algorithm: z.string(),
  })
  .meta({ description: "The pre-queue's draw, for anyone to check (docs/fairness.md)" });
export const HealthAnswer = z.strictObject({ ok: z.literal(true) });

// ---------------------------------------------------------------- discovery

const coordinate = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
export const Jwks = z
  .strictObject({
    keys: z.array(
      z.strictObject({ kty: z.literal("EC"), crv: z.literal("P-256"), x: coordinate, y: coordinate, kid: z.string(), alg: z.literal("ES256"), use: z.literal("sig") }),
    ),
  })
  .meta({ description: "The keys in force: the one that signs now first, a next key before it signs, previous keys until their retirement" });
export const OpenIdConfiguration = z
  .strictObject({ issuer: z.url(), jwks_uri: z.url(), id_token_signing_alg_values_supported: z.array(z.literal("ES256")) })
  .meta({ description: "OpenID Connect discovery, the part a resource server reads" });
