// The opening under production fan-out (bench/opening.mjs): the model's
// batching follows src/line/batch.ts (many isolates: about one arrival a call; one
// isolate: large batches), and a short live replay through a real room
// numbers every arrival once, 1..N. No timing is asserted.
import { expect, it } from "vitest";
// @ts-expect-error: plain ES module without types
import { curve2016, fanOutModel, liveReplay, roomCosts, summarise } from "../../bench/opening.mjs";
// @ts-expect-error: plain ES module without types
import { rng } from "../../bench/lib.mjs";

// A room that costs 150 µs a call and 4 µs an arrival (round figures of `npm run bench -- --room`).
const ROOM = { rows: [{ kind: "enter", perCall: 1, cpuUsPerCall: 154 }, { kind: "enter", perCall: 50, cpuUsPerCall: 350 }], draw: { cpuUsPerTicket: 20 } };

it("spread over 300 isolates, the 2016 opening's room calls carry about one arrival; through one isolate, dozens", () => {
  const times = curve2016(20_000, rng(7));
  expect(times.filter((t: number) => t < 1000).length).toBeGreaterThan(1_000);
  const costs = roomCosts(ROOM);
  const run = (fanOut: number) => summarise({ times, model: fanOutModel({ times, fanOut, rttMs: 40, costs, prequeue: false, random: rng(8) }), prequeue: false });
  const wide = run(300);
  const one = run(1);
  expect(wide.arrivals).toBe(20_000);
  expect(wide.batch.mean).toBeLessThan(1.5);
  expect(wide.roomCalls).toBeGreaterThan(15_000);
  expect(one.batch.max).toBeGreaterThan(50);
  expect(one.roomCalls).toBeLessThan(wide.roomCalls / 2);
  // Every arrival is answered after its click, and the peak is compared with the room's ceiling at its batch sizes.
  expect(wide.clickToNumberMs.p50).toBeGreaterThanOrEqual(40);
  expect(wide.peakRoomCallsPerSecond.ceilingCallsPerSecond).toBeGreaterThan(0);
});

it("a live replay of the opening's first second through a real room numbers every arrival once, 1..N", async () => {
  const times = curve2016(6_000, rng(2016));
  const live = await liveReplay({ times, fanOut: 50, rttMs: 40, seconds: 1, factor: 4, seed: 2016 });
  expect(live.arrivals).toBeGreaterThan(300);
  expect({ failures: live.failures, numbered: live.numbered, gapless: live.gapless }).toEqual({ failures: 0, numbered: live.arrivals, gapless: true });
  expect(live.roomEnterCalls).toBeLessThanOrEqual(live.arrivals);
});
