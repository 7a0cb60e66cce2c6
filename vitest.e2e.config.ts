// Browser tests (test/e2e/): plain Node, not the workers pool. Each file
// starts its own gateway with `wrangler dev` (test/e2e/gateway.ts) and drives
// Debian's Chromium through playwright-core. Files run one at a time: this is
// a 2-core machine and each holds a workerd and a browser.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    environment: "node",
    pool: "forks",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 150_000,
    teardownTimeout: 30_000,
  },
});
