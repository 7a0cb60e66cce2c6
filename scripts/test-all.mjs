#!/usr/bin/env node
// `npm test`: every suite, then one line "N passed, M failed" over all of them.
//   workers  vitest inside workerd (vitest.config.ts): unit, integration, invariants
//   demo     the demo origin inside workerd (vitest.demo.config.ts), against a gateway double
//   e2e      browser tests against a local gateway (vitest.e2e.config.ts), when present
//   sim      the built gateway in workerd over HTTP: enter batching, a small opening day (vitest.sim.config.ts)
// A suite that crashes before writing its report counts as one failure.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const only = process.argv.slice(2);
const suites = [
  { name: "workers", config: "vitest.config.ts" },
  { name: "demo", config: "vitest.demo.config.ts" },
  { name: "e2e", config: "vitest.e2e.config.ts" },
  { name: "sim", config: "vitest.sim.config.ts" },
].filter((s) => existsSync(s.config) && (only.length === 0 || only.includes(s.name)));

mkdirSync(".test-results", { recursive: true });
let passed = 0;
let failed = 0;
for (const suite of suites) {
  const out = join(".test-results", `${suite.name}.json`);
  rmSync(out, { force: true });
  console.log(`\n=== ${suite.name} (${suite.config})`);
  const run = spawnSync(
    join("node_modules", ".bin", "vitest"),
    ["run", "--config", suite.config, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`],
    { stdio: "inherit" },
  );
  if (!existsSync(out)) {
    console.log(`${suite.name}: no report (exit ${run.status}); counted as one failure`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(out, "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  // Files that failed to load have no tests but are failures all the same.
  failed += report.testResults.filter((f) => f.status === "failed" && f.assertionResults.length === 0).length;
  console.log(`${suite.name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
