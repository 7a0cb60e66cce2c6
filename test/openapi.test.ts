// The OpenAPI document (issue 34): one source of truth. The committed
// docs/openapi.json is what the zod schemas generate (the request schemas are
// the ones that validate), and every answer the routes give, success or
// error, has the shape and the code the document shows for its route and
// status, checked strictly on real answers through the Worker's fetch.
// (That the document is valid OpenAPI 3.1: test/sim/openapi.test.ts, in Node.)
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import committed from "../docs/openapi.json";
import * as answers from "../src/contract/answers";
import { openApiDocument } from "../src/contract/document";
import { ERRORS } from "../src/contract/errors";
import { admissionToken, applicant, cookieOf, createEvent, gateway, ORIGIN_AUTH, submissionBody, tick, uniqueEvent } from "./helpers";
import type * as z from "zod";

const SCHEMAS: Record<string, z.ZodType> = {
  SubmitAccepted: answers.SubmitAccepted,
  SubmitReplay: answers.SubmitReplay,
  SubmissionAnswer: answers.SubmissionAnswer,
  ReleaseAnswer: answers.ReleaseAnswer,
  Status: answers.StatusBody,
  ClaimAnswer: answers.ClaimAnswer,
  LeaveAnswer: answers.LeaveAnswer,
  ChallengeAnswer: answers.ChallengeAnswer,
  FairnessRecord: answers.FairnessRecord,
  HealthAnswer: answers.HealthAnswer,
  Jwks: answers.Jwks,
  OpenIdConfiguration: answers.OpenIdConfiguration,
  Error: answers.ErrorBody,
};

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: { "application/json": { schema: { $ref: string } } }; "x-error-codes"?: string[] }> }>> };
const doc = committed as unknown as Doc;

const seen = new Set<string>();

/**
 * Checks one real answer against the document: its route and method exist,
 * its status is documented, its body parses strictly with the schema named
 * there, and an error's code is one the document lists for that status.
 */
async function conforms(method: string, template: string, res: Response): Promise<any> {
  const body = (await res.json()) as any;
  const operation = doc.paths[template]?.[method];
  expect(operation, `${method} ${template} in the document`).toBeDefined();
  const answer = operation!.responses[String(res.status)];
  expect(answer, `${method} ${template} ${res.status} documented (${JSON.stringify(body)})`).toBeDefined();
  const name = answer!.content!["application/json"].schema.$ref.split("/").pop()!;
  const parsed = SCHEMAS[name]!.safeParse(body);
  expect(parsed.success, `${method} ${template} ${res.status} is a ${name}: ${parsed.success ? "" : JSON.stringify(parsed.error.issues)} ${JSON.stringify(body)}`).toBe(true);
  if (name === "Error") expect(answer!["x-error-codes"], `${method} ${template} ${res.status}`).toContain(body.error.code);
  seen.add(`${method} ${template} ${res.status}`);
  return body;
}

const json = { ...ORIGIN_AUTH, "content-type": "application/json" };
const post = (path: string, body: unknown, headers: Record<string, string> = json) => gateway(path, { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) });

describe("the OpenAPI document", () => {
  it("is what the zod schemas generate (npm run openapi writes docs/openapi.json)", () => {
    expect(openApiDocument()).toEqual(committed);
  });

  it("gives every error code whether it is retryable and what to do, and lists only known codes per answer", () => {
    const catalog = (committed as any)["x-guichet-errors"] as Record<string, { status: number[]; retryable: boolean; action: string }>;
    // ERRORS has one entry per code of src/http/errors.ts: the compiler checks it (satisfies Record<ErrorCode, ErrorInfo>).
    expect(Object.keys(catalog)).toEqual(Object.keys(ERRORS));
    for (const [code, info] of Object.entries(catalog)) {
      expect(typeof info.retryable, code).toBe("boolean");
      expect(info.action.length, code).toBeGreaterThan(20);
    }
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const [status, answer] of Object.entries(op.responses)) {
          for (const code of answer["x-error-codes"] ?? []) {
            expect(ERRORS[code as keyof typeof ERRORS].status, `${method} ${path} ${status} ${code}`).toContain(Number(status));
          }
        }
      }
    }
  });

  it("shows every request body as strict: additionalProperties false at every level", () => {
    const schemas = (committed as any).components.schemas as Record<string, any>;
    const strict = (s: any, where: string): void => {
      if (s?.type === "object") expect(s.additionalProperties, where).toBe(false);
      for (const [k, v] of Object.entries(s?.properties ?? {})) strict(v, `${where}.${k}`);
      for (const v of s?.anyOf ?? []) strict(v, where);
    };
    for (const name of ["SubmissionRequest", "EligibleSubmissionRequest", "Applicant", "Device", "PaymentRequest", "ReleaseRequest", "ClientRequest"]) strict(schemas[name], name);
  });
});

describe("every answer has the documented shape (real answers, parsed strictly)", () => {
  it("the origin's routes: submit, replay, refusals, read, pay, release", async () => {
    const id = uniqueEvent("oas-origin");
    await createEvent(id, { quota: 2 });
    const token = await admissionToken(id);
    const body = submissionBody(token);
    const S = "/guichet/api/submissions";
    const first = await conforms("post", S, await post(`${S}?event=${id}`, body));
    await conforms("post", S, await post(`${S}?event=${id}`, body));
    await conforms("post", S, await post(`${S}?event=${id}`, { ...body, accountId: "other", applicant: applicant() }));
    await conforms("post", S, await post(`${S}?event=${id}`, submissionBody(await admissionToken(id), { accountId: body.accountId })));
    await conforms("post", S, await post(`${S}?event=${id}`, submissionBody(await admissionToken(id), { device: { userAgent: "Mozilla/5.0 (iPhone) Mobile" } })));
    await conforms("post", S, await post(`${S}?event=${id}`, submissionBody(await admissionToken(id, { iat: 1, lifetime: 10 }))));
    await conforms("post", S, await post(`${S}?event=${id}`, submissionBody(await admissionToken(uniqueEvent("elsewhere")))));
    await conforms("post", S, await post(`${S}?event=${id}`, { ...body, foo: 1 }));
    await conforms("post", S, await post(`${S}?event=${id}`, "{"));
    await conforms("post", S, await post(`${S}?event=${id}`, body, { ...json, "content-type": "text/plain" }));
    await conforms("post", S, await post(`${S}?event=${id}`, "x".repeat(17 * 1024)));
    await conforms("post", S, await post(`${S}?event=${id}&token=x`, body));
    await conforms("post", S, await post(`${S}?event=${id}`, body, { "content-type": "application/json" }));
    await conforms("post", S, await post(`${S}?event=Bad_Event`, body));
    await conforms("post", S, await post(`${S}?event=${id}`, submissionBody(await admissionToken(id))));
    await conforms("post", S, await post(`${S}?event=${id}`, submissionBody(await admissionToken(id))));

    const E = "/guichet/api/eligible-submissions";
    const { admissionToken: _, ...eligible } = submissionBody("x");
    await conforms("post", E, await post(`${E}?event=${id}`, { ...eligible, eligibility: "validated_job_offer" }));
    await conforms("post", E, await post(`${E}?event=${id}`, { ...eligible, eligibility: "validated_job_offer" }));

    const subId = first.receipt.id as string;
    const R = "/guichet/api/submissions/{id}";
    await conforms("get", R, await gateway(`/guichet/api/submissions/${subId}?event=${id}`, { headers: ORIGIN_AUTH }));
    await conforms("get", R, await gateway(`/guichet/api/submissions/${subId}`, { headers: { authorization: `Bearer ${first.receipt.receiptToken}` } }));
    await conforms("get", R, await gateway(`/guichet/api/submissions/${crypto.randomUUID()}?event=${id}`, { headers: ORIGIN_AUTH }));
    await conforms("get", R, await gateway(`/guichet/api/submissions/${subId}`));
    await conforms("get", R, await gateway(`/guichet/api/submissions/${subId}?receipt=x`));

    const P = "/guichet/api/submissions/{id}/payment";
    await conforms("post", P, await post(`/guichet/api/submissions/${subId}/payment?event=${id}`, { reference: "CC-1" }));
    await conforms("post", P, await post(`/guichet/api/submissions/${subId}/payment?event=${id}`, { reference: "CC-2" }));
    await conforms("post", P, await post(`/guichet/api/submissions/${subId}/payment?event=${id}`, {}));
    await conforms("post", P, await post(`/guichet/api/submissions/${crypto.randomUUID()}/payment?event=${id}`, { reference: "CC-1" }));

    const L = "/guichet/api/admissions/release";
    await conforms("post", L, await post(`${L}?event=${id}`, { admissionToken: await admissionToken(id) }));
    await conforms("post", L, await post(`${L}?event=${id}`, { admissionToken: "a.b.c" }));
  });

  it("the candidate's routes and discovery", async () => {
    const id = uniqueEvent("oas-candidate");
    await conforms("get", "/guichet/api/status", await gateway(`/guichet/api/status?event=${id}`));
    await createEvent(id, { quota: 10, opensAt: new Date(Date.now() + 3_600_000).toISOString() });
    await conforms("post", "/guichet/api/enter", await gateway(`/guichet/api/enter?event=${id}`, { method: "POST" }));
    const open = uniqueEvent("oas-open");
    await createEvent(open, { quota: 10 });
    const entered = await gateway(`/guichet/api/enter?event=${open}`, { method: "POST" });
    const a = { cookie: cookieOf(entered, "guichet_ticket") };
    await conforms("post", "/guichet/api/enter", entered);
    await conforms("post", "/guichet/api/enter", await gateway(`/guichet/api/enter?event=${open}`, { method: "POST", cookie: a.cookie! }));
    await conforms("post", "/guichet/api/enter", await gateway(`/guichet/api/enter?event=${open}`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"x":1}' }));
    await conforms("get", "/guichet/api/status", await gateway(`/guichet/api/status?event=${open}`, { cookie: a.cookie! }));
    await conforms("post", "/guichet/api/claim", await gateway(`/guichet/api/claim?event=${open}`, { method: "POST", cookie: a.cookie! }));
    await tick(open);
    const c = await gateway(`/guichet/api/claim?event=${open}`, { method: "POST", cookie: a.cookie! });
    await conforms("post", "/guichet/api/claim", c);
    await conforms("get", "/guichet/api/status", await gateway(`/guichet/api/status?event=${open}`, { cookie: a.cookie! }));
    await conforms("post", "/guichet/api/claim", await gateway(`/guichet/api/claim?event=${open}`, { method: "POST" }));
    await conforms("post", "/guichet/api/leave", await gateway(`/guichet/api/leave?event=${open}`, { method: "POST", cookie: a.cookie! }));
    await conforms("post", "/guichet/api/leave", await gateway(`/guichet/api/leave?event=${open}`, { method: "POST" }));
    await conforms("get", "/guichet/api/status", await gateway(`/guichet/api/status?event=${open}`, { cookie: a.cookie! }));
    await conforms("get", "/guichet/api/challenge", await gateway(`/guichet/api/challenge?event=${open}`));
    await conforms("get", "/guichet/api/fairness", await gateway(`/guichet/api/fairness?event=${open}`));
    await conforms("get", "/guichet/healthz", await gateway("/guichet/healthz"));
    await conforms("get", "/.well-known/jwks.json", await gateway("/.well-known/jwks.json"));
    await conforms("get", "/.well-known/openid-configuration", await gateway("/.well-known/openid-configuration"));
    // The document lists what was seen here, and more: every documented success was produced by one of these two tests.
    expect(env.ORIGIN_API_KEY).toBeTruthy();
  });

  it("covered every documented success status", () => {
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const [status, answer] of Object.entries(op.responses)) {
          if (Number(status) >= 300 || !answer.content || path === "/guichet/api/openapi.json") continue;
          expect(seen, `${method} ${path} ${status}`).toContain(`${method} ${path} ${status}`);
        }
      }
    }
  });
});
