// The committed OpenAPI document is valid OpenAPI 3.1, by a maintained
// validator (@seriousme/openapi-schema-validator, which carries the OAS 3.1
// schemas and works offline), and every schema in it compiles as JSON Schema
// 2020-12 (Ajv, which that validator uses) and accepts the examples a client
// would send and receive. In Node: both compile code at run time, which
// workerd forbids. `npm run openapi -- --check` is part of it: the committed
// file is what the schemas generate.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Validator } from "@seriousme/openapi-schema-validator";
import { describe, expect, it } from "vitest";
// Ajv's 2020-12 build and its formats: dependencies of the validator.
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const text = readFileSync(join(ROOT, "docs/openapi.json"), "utf8");
const doc = JSON.parse(text);

describe("docs/openapi.json", () => {
  it("is valid OpenAPI 3.1", async () => {
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
  });

  it("is refused by the same validator when broken (the check can fail)", async () => {
    const broken = structuredClone(doc);
    // A response without its description (required by OpenAPI 3.1).
    delete broken.paths["/guichet/api/submissions"].post.responses["201"].description;
    expect((await new Validator().validate(broken)).valid).toBe(false);
  });

  it("compiles every schema as JSON Schema 2020-12, and they take a real body and refuse a misspelt one", () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ $id: "guichet", components: doc.components });
    const schema = (name: string) => ajv.compile({ $ref: `guichet#/components/schemas/${name}` });
    for (const name of Object.keys(doc.components.schemas)) expect(() => schema(name), name).not.toThrow();
    const submission = {
      admissionToken: "eyJ.a.b",
      accountId: "mpq-000123",
      applicationId: "app-98765",
      applicant: { familyName: "Tremblay", givenNames: "Marie", birthDate: "1985-04-02", countryOfBirth: "FR", passportNumber: "12AB34567" },
    };
    const request = schema("SubmissionRequest");
    expect(request(submission)).toBe(true);
    expect(request({ ...submission, accountID: "x" })).toBe(false);
    expect(schema("PaymentRequest")({ reference: "CC-1" })).toBe(true);
    expect(schema("PaymentRequest")({})).toBe(false);
    const receipt = {
      id: "0b0f7a52-0a0e-4d38-9d3a-2f1c6c1e6b11",
      kind: "quota",
      rank: 1,
      quota: 5100,
      status: "paid",
      acceptedAt: "2016-06-13T12:31:00.000Z",
      paymentDueAt: "2016-07-13T12:31:00.000Z",
      paidAt: "2016-06-14T10:00:00.000Z",
      paymentReference: "CC-1",
      receiptToken: `r2.t0.csq-2016-06.0b0f7a52-0a0e-4d38-9d3a-2f1c6c1e6b11.1473769860.${"A".repeat(43)}`,
    };
    expect(schema("SubmissionAnswer")({ submission: receipt })).toBe(true);
    expect(schema("Error")({ error: { code: "already_paid", message: "…", reference: "CC-1", paidAt: receipt.paidAt } })).toBe(true);
    expect(schema("Error")({ error: { code: "no_such_code", message: "…" } })).toBe(false);
  });

  it("is what the zod schemas generate (npm run openapi -- --check)", () => {
    const run = spawnSync(process.execPath, [join(ROOT, "scripts/openapi.mjs"), "--check"], { encoding: "utf8" });
    expect(run.stdout.trim()).toBe("docs/openapi.json is up to date");
    expect(run.status).toBe(0);
  });

  it("gives each error code the same status, retryability and action as contract.md's table of error codes", () => {
    const contract = readFileSync(join(ROOT, "docs/contract.md"), "utf8");
    const section = contract.split("\n## Error codes\n")[1]!.split("\n## ")[0]!;
    const rows = new Map<string, { status: number[]; retryable: boolean; action: string }>();
    for (const line of section.split("\n")) {
      const cells = /^\| `([a-z_]+)` \|(.*)\|$/.exec(line);
      if (!cells) continue;
      const [status, , , retryable, action] = cells[2]!.split(" | ").map((c) => c.trim());
      rows.set(cells[1]!, { status: status!.split(" / ").map(Number).sort(), retryable: retryable === "yes", action: action! });
    }
    const documented = doc["x-guichet-errors"] as Record<string, { status: number[]; retryable: boolean; action: string }>;
    expect(Object.keys(documented).length).toBeGreaterThan(30);
    expect([...rows.keys()].sort()).toEqual(Object.keys(documented).sort());
    for (const [code, row] of rows) expect([code, row]).toEqual([code, { status: [...documented[code]!.status].sort(), retryable: documented[code]!.retryable, action: documented[code]!.action }]);
  });
});
