// The fair opening's simulation, small (bench/fairness.mjs): 2,000 people, 400
// behind one carrier NAT address and 200 scripts, over HTTP against the built
// gateway, with the flat per-address limit and with per-address puzzles, each
// in strict FIFO and under the pre-queue's draw. Medians, not timings.
import { expect, it } from "vitest";
// @ts-expect-error: plain ES module without types
import { fairnessSimulation } from "../../bench/fairness.mjs";

it("a carrier NAT's people get the same numbers as everyone with per-address puzzles, in FIFO and under the draw; the flat limit put them behind", async () => {
  const report = await fairnessSimulation({ people: 2000, nat: 400, scripts: 200 });
  const { flat, cost } = report.runs;
  for (const r of [flat.fifo, flat.prequeue, cost.fifo, cost.prequeue]) expect(r.people.count + r.nat.count + r.scripts.count).toBe(2600);

  // Per-address puzzles: never refused, asked at most a few bits, and their median is everyone's within the noise.
  expect(cost.fifo.nat.refused429).toBe(0);
  expect(cost.prequeue.nat.refused429).toBe(0);
  expect(cost.fifo.nat.puzzles).toBe(400 - 32);
  expect(cost.fifo.nat.mostBits).toBe(11);
  expect(report.invariants.natSameAsPeopleFifoWithCost.ok).toBe(true);
  expect(report.invariants.natSameAsPeoplePrequeueWithCost.ok).toBe(true);

  // The flat limit of 120 a minute: the NAT's people past 120 are refused and come back a minute later, behind everyone.
  expect(flat.fifo.nat.refused429).toBeGreaterThan(0);
  expect(report.invariants.flatLimitPutsTheNatBehindInFifo.ok).toBe(true);

  // Scripts (each from an address of its own) take the first numbers in FIFO, and do no better than people under the draw.
  expect(cost.fifo.scriptsInFirstThousand).toBe(200);
  expect(report.invariants.scriptsNoBetterUnderTheDraw.ok).toBe(true);
}, 600_000);
