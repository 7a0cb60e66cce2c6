// The fair opening's simulation, small (bench/fairness.mjs): scripts that fire
// before any person can react take the first numbers in strict FIFO, and do no
// better than people under the pre-queue's draw. Medians, not timings.
import { expect, it } from "vitest";
// @ts-expect-error: plain ES module without types
import { fairnessSimulation } from "../../bench/fairness.mjs";

it("the pre-queue's draw gives scripted clients no advantage over people", async () => {
  const report = await fairnessSimulation({ people: 2000, scripts: 200 });
  expect(report.fifo.scripts.medianNumber).toBeLessThan(report.fifo.people.medianNumber);
  expect(report.fifo.scriptsInFirstThousand).toBe(200);
  expect(report.invariants.drawGivesScriptsNoAdvantage.ok).toBe(true);
  expect(report.prequeue.people.count + report.prequeue.scripts.count).toBe(2200);
});
