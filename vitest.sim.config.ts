// The gateway as deployed, from the outside: these tests run in Node, start
// the built bundle in workerd (bench/gateway.mjs, 127.0.0.1 only) and talk to
// it over HTTP. They cover what the workers pool cannot (enter batching needs
// cross-request promise resolution, which that pool turns off) and a small
// opening day (bench/simulate.mjs) whose invariants must hold. No timings are
// asserted.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/sim/**/*.test.ts"],
    environment: "node",
    globalSetup: ["./test/sim/build.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
