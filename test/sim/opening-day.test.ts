// A small compressed opening day (bench/simulate.mjs): the invariants of
// architecture.md must hold. Only correctness is asserted, never a timing.
import { expect, it } from "vitest";
// @ts-expect-error: plain ES module without types
import { simulate } from "../../bench/simulate.mjs";

it("a small opening day keeps every invariant", async () => {
  const report = await simulate({
    arrivals: 1500,
    maxActive: 100,
    factor: 48,
    abandonRate: 0,
    returnMinutes: [5, 15],
    maxSeconds: 150,
  });
  for (const i of report.invariants) expect({ name: i.name, ok: i.ok, detail: i.detail }).toMatchObject({ name: i.name, ok: true });
  expect(report.submissions.accepted).toBe(report.settings.quota);
  expect(report.submissions.quotaRefusedAfterAdmission).toBe(0);
  expect(report.submissions.device).toBeGreaterThan(0);
});
