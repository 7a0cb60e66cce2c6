// Invariant 9: no personal data in logs. Everything the gateway and its
// objects print while a line runs, submissions (accepted, duplicate, refused)
// are made and the origin fails is captured and searched for the applicants'
// names, birth dates, passport numbers and e-mail addresses.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { admissionToken, applicant, claim, createEvent, enter, eventually, d1Submissions, gateway, submissionBody, submit, tick, uniqueEvent } from "./helpers";

const lines: string[] = [];

beforeEach(() => {
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
    });
  }
});

afterEach(() => vi.restoreAllMocks());

describe("logs", () => {
  it("hold no name, birth date, passport number or e-mail", async () => {
    const id = uniqueEvent("privacy");
    await createEvent(id, { quota: 3, maxActive: 10 });
    const people = [
      applicant({ familyName: "Bélanger-Confidentiel", givenNames: "Anaïs", birthDate: "1979-11-23", passportNumber: "QZ7788990", email: "anais.b@exemple.qc.ca" }),
      applicant({ familyName: "Nguyen-Privé", givenNames: "Thanh", birthDate: "1990-02-14", passportNumber: "VN1234567", email: "thanh.n@exemple.org" }),
    ];
    const tickets = [await enter(id), await enter(id)];
    await tick(id);
    for (const [i, t] of tickets.entries()) {
      const c = await claim(id, t.cookie!);
      const body = submissionBody(c.body.admission.token, { applicant: people[i] });
      expect((await submit(id, body)).res.status).toBe(201);
      expect((await submit(id, body)).res.status).toBe(200);
    }
    // A duplicate, a bad birth date, a phone, a malformed body.
    expect((await submit(id, submissionBody(await admissionToken(id), { applicant: people[0] }))).res.status).toBe(409);
    expect((await submit(id, submissionBody(await admissionToken(id), { applicant: { ...people[1], birthDate: "1990-02-31x" } }))).res.status).toBe(422);
    expect((await submit(id, submissionBody(await admissionToken(id), { device: { userAgent: "iPhone Mobile" } }))).res.status).toBe(403);
    await gateway(`/guichet/api/submissions?event=${id}`, { method: "POST", headers: { authorization: "Bearer wrong", "content-type": "application/json" }, body: JSON.stringify(people[0]) });
    await eventually(() => d1Submissions(id), (rows) => rows.length === 2);
    // Something is logged (the origin failing, reported within a second), so the capture works.
    await gateway("/aide/down", { headers: { accept: "application/json" } });
    expect(await eventually(async () => lines.some((l) => l.includes("origin_failing")), (seen) => seen, 5_000)).toBe(true);

    const all = lines.join("\n").toLowerCase();
    for (const p of people) {
      for (const secret of [p.familyName, p.givenNames, p.birthDate, p.passportNumber, p.email!]) {
        expect(all).not.toContain(secret.toLowerCase());
      }
    }
  });
});
