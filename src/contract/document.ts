// The OpenAPI 3.1 document of the candidate, origin and discovery routes,
// built from the zod schemas that validate the requests (the routes' own)
// and those of the answers (./answers.ts), by zod's own JSON Schema
// conversion (OpenAPI 3.1's schemas are JSON Schema 2020-12). The gateway
// serves the committed docs/openapi.json; `npm run openapi` writes it from
// here, and a test fails when the two differ.
import * as z from "zod";
import { ClientBody } from "../routes/queue";
import { ApplicantSchema, DeviceSchema, EligibleBody, PaymentBody, ReleaseBody, SubmitBody } from "../routes/submissions";
import type { ErrorCode } from "../http/errors";
import {
  ChallengeAnswer,
  ClaimAnswer,
  ErrorBody,
  FairnessRecord,
  HealthAnswer,
  Jwks,
  LeaveAnswer,
  OpenIdConfiguration,
  Receipt,
  ReleaseAnswer,
  StatusBody,
  SubmissionAnswer,
  SubmitAccepted,
  SubmitReplay,
} from "./answers";
import { ERRORS } from "./errors";

/** The document's version: bump it with any change to a route, a schema or a code. */
export const API_VERSION = "2026.12.1";

const REF = (id: string) => `#/components/schemas/${id}`;

/** Named schemas: requests as the client writes them (defaults optional), answers as the gateway writes them. */
const REQUESTS: [string, z.ZodType][] = [
  ["SubmissionRequest", SubmitBody],
  ["EligibleSubmissionRequest", EligibleBody],
  ["Applicant", ApplicantSchema],
  ["Device", DeviceSchema],
  ["PaymentRequest", PaymentBody],
  ["ReleaseRequest", ReleaseBody],
  ["ClientRequest", ClientBody],
];
const ANSWERS: [string, z.ZodType][] = [
  ["Receipt", Receipt],
  ["SubmitAccepted", SubmitAccepted],
  ["SubmitReplay", SubmitReplay],
  ["SubmissionAnswer", SubmissionAnswer],
  ["ReleaseAnswer", ReleaseAnswer],
  ["Status", StatusBody],
  ["ClaimAnswer", ClaimAnswer],
  ["LeaveAnswer", LeaveAnswer],
  ["ChallengeAnswer", ChallengeAnswer],
  ["FairnessRecord", FairnessRecord],
  ["HealthAnswer", HealthAnswer],
  ["Jwks", Jwks],
  ["OpenIdConfiguration", OpenIdConfiguration],
  ["Error", ErrorBody],
];

type JsonSchema = Record<string, unknown>;

/** The named schemas of one direction as OpenAPI components (no $schema nor $id: the document carries them). */
function components(named: [string, z.ZodType][], io: "input" | "output"): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of named) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, target: "draft-2020-12", uri: REF, unrepresentable: "throw" }) as { schemas: Record<string, JsonSchema> };
  const out: Record<string, JsonSchema> = {};
  for (const [id] of named) {
    const { $schema: _s, $id: _i, ...rest } = schemas[id]!;
    out[id] = rest;
  }
  return out;
}

interface Answer {
  description: string;
  /** A named answer schema, or the error codes this status can carry. */
  schema?: string;
  codes?: ErrorCode[];
  headers?: Record<string, { description: string; schema: JsonSchema }>;
}

interface Operation {
  method: "get" | "post";
  path: string;
  tag: "candidate" | "origin" | "discovery";
  summary: string;
  description?: string;
  security?: Record<string, string[]>[];
  event?: boolean;
  pathId?: boolean;
  body?: { schema: string; required: boolean; maxBytes: number };
  answers: Record<number, Answer>;
}

const RETRY_AFTER = { "Retry-After": { description: "Seconds to wait", schema: { type: "integer", minimum: 0 } } };
const ORIGIN_REALM = { "WWW-Authenticate": { description: 'Bearer realm="guichet-origin" (on unauthorized)', schema: { type: "string" } } };
/** What a route with a JSON body may answer about it; `also400`: the route's other 400 codes. */
const bodyErrors = (also400: ErrorCode[] = [], why = ""): Record<number, Answer> => ({
  400: { description: `Not JSON, or not UTF-8${why}`, codes: ["invalid_json", "invalid_body", ...also400] },
  413: { description: "Over the route's limit, refused unread", codes: ["payload_too_large"] },
  415: { description: "Not application/json", codes: ["unsupported_media_type"] },
  422: { description: "A field breaks the schema (field names it; an unknown field is named itself)", codes: ["invalid_body"] },
});
const SECRET = [["secret_in_url"], ", or a secret in the query"] as const;

const ORIGIN_KEY = [{ originApiKey: [] }];
const TICKET = [{ ticketCookie: [] }];

const OPERATIONS: Operation[] = [
  // ---------------------------------------------------------------- origin
  {
    method: "post",
    path: "/guichet/api/submissions",
    tag: "origin",
    summary: "Submit an application with the candidate's admission",
    description:
      "The QuotaCounter decides in one step: the admission's binding (the first (accountId, applicationId) it is tried with, accepted or refused), its revocation and expiry, the device, duplicates, the quota. A retry with the same admission and pair is the 200 replay, even after the token's exp; a refused pair sent again is decided again.",
    security: ORIGIN_KEY,
    event: true,
    body: { schema: "SubmissionRequest", required: true, maxBytes: 16 * 1024 },
    answers: {
      201: { description: "Accepted", schema: "SubmitAccepted" },
      200: { description: "The same admission and pair again: the original receipt", schema: "SubmitReplay" },
      ...bodyErrors([...SECRET[0]], SECRET[1]),
      401: { description: "No or wrong ORIGIN_API_KEY; an admission that cannot be used", codes: ["unauthorized", "admission_invalid"], headers: ORIGIN_REALM },
      403: { description: "A phone or a tablet", codes: ["device_not_allowed"] },
      404: { description: "No such event", codes: ["unknown_event"] },
      409: { description: "The admission serves another pair; a duplicate", codes: ["admission_used", "duplicate"] },
      410: { description: "The intake is closed (why), or the admission expired unused", codes: ["quota_reached", "closed_by_operator", "admission_expired"] },
      500: { description: "The gateway's receipt keys are malformed; an unexpected error", codes: ["misconfigured", "internal"] },
    },
  },
  {
    method: "post",
    path: "/guichet/api/eligible-submissions",
    tag: "origin",
    summary: "Submit for a candidate the origin attests as always eligible",
    description: "Outside the line and the quota, at any time, also after the intake closed (the announcement's « en tout temps »). Duplicates and devices are refused as for the line's submissions.",
    security: ORIGIN_KEY,
    event: true,
    body: { schema: "EligibleSubmissionRequest", required: true, maxBytes: 16 * 1024 },
    answers: {
      201: { description: "Accepted (kind eligible, rank null)", schema: "SubmitAccepted" },
      ...bodyErrors([...SECRET[0]], SECRET[1]),
      401: { description: "No or wrong ORIGIN_API_KEY", codes: ["unauthorized"], headers: ORIGIN_REALM },
      403: { description: "A phone or a tablet", codes: ["device_not_allowed"] },
      404: { description: "No such event", codes: ["unknown_event"] },
      409: { description: "A duplicate", codes: ["duplicate"] },
      500: { description: "The gateway's receipt keys are malformed; an unexpected error", codes: ["misconfigured", "internal"] },
    },
  },
  {
    method: "get",
    path: "/guichet/api/submissions/{id}",
    tag: "origin",
    summary: "Read a submission",
    description: "With the candidate's receipt token (its event is the token's) or ORIGIN_API_KEY (with ?event=). The answer's receiptToken is fresh, signed with the current receipt key, same exp.",
    security: [{ receiptToken: [] }, { originApiKey: [] }],
    event: true,
    pathId: true,
    answers: {
      200: { description: "The submission", schema: "SubmissionAnswer" },
      400: { description: "A secret in the query (?receipt= is never read)", codes: ["secret_in_url"] },
      401: { description: "No or wrong credential; a receipt token expired, tampered, of a retired key or for another submission", codes: ["unauthorized"] },
      404: { description: "No such submission", codes: ["not_found"] },
      500: { description: "The gateway's receipt keys are malformed", codes: ["misconfigured", "internal"] },
    },
  },
  {
    method: "post",
    path: "/guichet/api/submissions/{id}/payment",
    tag: "origin",
    summary: "Record the payment of a submission's fees",
    description: "The reference is required and the first one is kept: the same reference again is an idempotent 200, another one 409 already_paid with the recorded reference.",
    security: ORIGIN_KEY,
    event: true,
    pathId: true,
    body: { schema: "PaymentRequest", required: true, maxBytes: 1024 },
    answers: {
      200: { description: "Paid (now, or already with this reference)", schema: "SubmissionAnswer" },
      ...bodyErrors([...SECRET[0]], SECRET[1]),
      401: { description: "No or wrong ORIGIN_API_KEY", codes: ["unauthorized"], headers: ORIGIN_REALM },
      404: { description: "No such submission", codes: ["not_found"] },
      409: { description: "Paid under another reference; too late or withdrawn", codes: ["already_paid", "invalid_change"] },
    },
  },
  {
    method: "post",
    path: "/guichet/api/admissions/release",
    tag: "origin",
    summary: "End an admission early",
    description: "Frees the candidate's place at once; the token can no longer submit (admission_invalid, reason revoked). Its signature is checked, not its times: an expired admission may be released.",
    security: ORIGIN_KEY,
    event: true,
    body: { schema: "ReleaseRequest", required: true, maxBytes: 16 * 1024 },
    answers: {
      200: { description: "Released", schema: "ReleaseAnswer" },
      ...bodyErrors([...SECRET[0]], SECRET[1]),
      401: { description: "No or wrong ORIGIN_API_KEY; not an admission of this event", codes: ["unauthorized", "admission_invalid"], headers: ORIGIN_REALM },
    },
  },
  // ---------------------------------------------------------------- candidate
  {
    method: "post",
    path: "/guichet/api/enter",
    tag: "candidate",
    summary: "Take a number",
    description: "201 with a new ticket cookie; 200 with the same number for a request that already holds a ticket of this event.",
    event: true,
    body: { schema: "ClientRequest", required: false, maxBytes: 4096 },
    answers: {
      201: { description: "A new number", schema: "Status" },
      200: { description: "The number this ticket holds", schema: "Status" },
      ...bodyErrors(),
      403: { description: "Cross-site; the entry puzzle or Turnstile", codes: ["bad_origin", "pow_required", "pow_invalid", "pow_expired", "pow_too_easy", "pow_reused", "turnstile_failed"] },
      404: { description: "No such event", codes: ["unknown_event"] },
      409: { description: "Before the opening", codes: ["not_open"], headers: RETRY_AFTER },
      410: { description: "The intake is closed", codes: ["closed"] },
      429: { description: "Too many from this address", codes: ["rate_limited"], headers: RETRY_AFTER },
    },
  },
  {
    method: "get",
    path: "/guichet/api/status",
    tag: "candidate",
    summary: "Follow the ticket",
    security: TICKET,
    event: true,
    answers: {
      200: { description: "The ticket's state", schema: "Status" },
      401: { description: "No ticket, or another event's or tampered", codes: ["no_ticket", "bad_ticket"] },
      404: { description: "No such event", codes: ["unknown_event"] },
      410: { description: "The ticket left", codes: ["ticket_left"] },
    },
  },
  {
    method: "post",
    path: "/guichet/api/claim",
    tag: "candidate",
    summary: "Claim the turn",
    description: "At your_turn: the admission, also set as the admission cookie; again while admitted, the same admission.",
    security: TICKET,
    event: true,
    body: { schema: "ClientRequest", required: false, maxBytes: 1024 },
    answers: {
      200: { description: "The admission", schema: "ClaimAnswer" },
      ...bodyErrors(["invalid_header"], ", or a bad X-Guichet-Touch-Points"),
      401: { description: "No ticket, or another event's or tampered", codes: ["no_ticket", "bad_ticket"] },
      403: { description: "Cross-site", codes: ["bad_origin"] },
      404: { description: "No such event", codes: ["unknown_event"] },
      409: { description: "Not yet", codes: ["not_your_turn"] },
      410: { description: "The turn is over, the intake closed, or the ticket left", codes: ["turn_lost", "closed", "ticket_left"] },
      429: { description: "Too many from this address", codes: ["rate_limited"], headers: RETRY_AFTER },
    },
  },
  {
    method: "post",
    path: "/guichet/api/leave",
    tag: "candidate",
    summary: "Give up the number",
    description: "Revokes the ticket's admissions, then frees the place; clears the ticket and admission cookies.",
    security: TICKET,
    event: true,
    answers: {
      200: { description: "Left", schema: "LeaveAnswer" },
      401: { description: "No ticket, or another event's or tampered", codes: ["no_ticket", "bad_ticket"] },
      403: { description: "Cross-site", codes: ["bad_origin"] },
      500: { description: "The counter could not be reached: nothing changed, a retry is safe", codes: ["internal"] },
    },
  },
  {
    method: "get",
    path: "/guichet/api/challenge",
    tag: "candidate",
    summary: "A fresh entry puzzle",
    event: true,
    answers: { 200: { description: "A puzzle, or none", schema: "ChallengeAnswer" }, 404: { description: "No such event", codes: ["unknown_event"] } },
  },
  {
    method: "get",
    path: "/guichet/api/fairness",
    tag: "candidate",
    summary: "The pre-queue's draw record",
    event: true,
    answers: { 200: { description: "The record", schema: "FairnessRecord" }, 404: { description: "No such event", codes: ["unknown_event"] } },
  },
  {
    method: "get",
    path: "/guichet/healthz",
    tag: "discovery",
    summary: "Health, touching no Durable Object",
    answers: { 200: { description: "Serving", schema: "HealthAnswer" }, 503: { description: "A deployed gateway whose configuration fails its check", codes: ["misconfigured"] } },
  },
  // ---------------------------------------------------------------- discovery
  {
    method: "get",
    path: "/.well-known/jwks.json",
    tag: "discovery",
    summary: "The public keys admission tokens verify with",
    description: "Cache-Control: public, max-age=300. A verifier may keep it at most 10 minutes more (15 in all): a next key is published 20 minutes at least before it signs.",
    answers: { 200: { description: "The keys in force", schema: "Jwks" } },
  },
  {
    method: "get",
    path: "/.well-known/openid-configuration",
    tag: "discovery",
    summary: "OpenID Connect discovery (issuer, jwks_uri)",
    answers: { 200: { description: "Discovery", schema: "OpenIdConfiguration" } },
  },
  {
    method: "get",
    path: "/guichet/api/openapi.json",
    tag: "discovery",
    summary: "This document",
    answers: { 200: { description: "OpenAPI 3.1" } },
  },
];

/** One status's answer as OpenAPI writes it; error statuses list their codes, each with whether to retry and what to do. */
function response(answer: Answer): JsonSchema {
  let description = answer.description;
  if (answer.codes) {
    const lines = answer.codes.map((code) => `- \`${code}\` (${ERRORS[code].retryable ? "retryable" : "not retryable"}): ${ERRORS[code].action}`);
    description = `${description}.\n\n${lines.join("\n")}`;
  }
  const schema = answer.codes ? "Error" : answer.schema;
  const out: JsonSchema = { description };
  if (answer.headers) out.headers = answer.headers;
  if (schema) out.content = { "application/json": { schema: { $ref: REF(schema) } } };
  if (answer.codes) out["x-error-codes"] = answer.codes;
  return out;
}

const PARAMETERS = {
  event: { name: "event", in: "query", required: false, description: "The event (1 to 63 of a-z, 0-9, -); the default event without it. For the origin: the admission's evt.", schema: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,62}$" } },
  lang: { name: "lang", in: "query", required: false, description: "en for English messages (or Accept-Language: en…); French otherwise", schema: { type: "string", enum: ["fr", "en"] } },
  id: { name: "id", in: "path", required: true, description: "The submission's id (the receipt's id)", schema: { type: "string" } },
};

/** The whole document. */
export function openApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of OPERATIONS) {
    const parameters: JsonSchema[] = [];
    if (op.pathId) parameters.push({ $ref: "#/components/parameters/id" });
    if (op.event) parameters.push({ $ref: "#/components/parameters/event" });
    parameters.push({ $ref: "#/components/parameters/lang" });
    const operation: JsonSchema = {
      tags: [op.tag],
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      operationId: `${op.method}${op.path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
      parameters,
      ...(op.security ? { security: op.security } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: op.body.required,
              description: `At most ${op.body.maxBytes} bytes${op.body.required ? "" : "; optional: no body counts as {}"}. Unknown fields are refused.`,
              content: { "application/json": { schema: { $ref: REF(op.body.schema) } } },
            },
          }
        : {}),
      responses: Object.fromEntries(Object.entries(op.answers).map(([status, answer]) => [status, response(answer)])),
    };
    (paths[op.path] ??= {})[op.method] = operation;
  }
  return {
    openapi: "3.1.0",
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    info: {
      title: "Guichet: candidate, origin and discovery routes",
      version: API_VERSION,
      description:
        "The waiting room and submission gateway in front of Mon projet Québec. Every error is `{\"error\": {\"code\", \"message\", …details}}` (schema Error); `x-guichet-errors` lists every code with whether the same request may succeed if sent again (`retryable`) and what to do. Every body is strict: an unknown field is 422 invalid_body naming it. A deployed gateway whose configuration fails its check answers every route 503 misconfigured. The prose: docs/contract.md and docs/origin-integration.md.",
    },
    tags: [
      { name: "origin", description: "Server to server, Authorization: Bearer ORIGIN_API_KEY" },
      { name: "candidate", description: "The room page's calls, same origin, state in cookies" },
      { name: "discovery", description: "Keys, discovery, health and this document" },
    ],
    paths,
    components: {
      schemas: { ...components(REQUESTS, "input"), ...components(ANSWERS, "output") },
      parameters: PARAMETERS,
      securitySchemes: {
        originApiKey: { type: "http", scheme: "bearer", description: "ORIGIN_API_KEY" },
        receiptToken: { type: "http", scheme: "bearer", description: "A receipt token r2.…, for the one submission it names" },
        ticketCookie: { type: "apiKey", in: "cookie", name: "__Host-guichet_ticket", description: "The ticket cookie (guichet_ticket without the prefix on http://localhost and 127.0.0.1)" },
      },
    },
    "x-guichet-errors": Object.fromEntries(Object.entries(ERRORS).map(([code, info]) => [code, { status: [...info.status], retryable: info.retryable, action: info.action }])),
  };
}
