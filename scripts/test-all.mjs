#!/usr/bin/env node
// `npm test`: every suite, then one line "N passed, M failed, K skipped" over all of them.
//   workers  vitest inside workerd (vitest.config.ts): unit, integration, invariants
//   demo     the demo origin inside workerd (vitest.demo.config.ts), against a gateway double
//   e2e      browser tests against a local gateway (vitest.e2e.config.ts): needs Chromium
//   sim      the built gateway in workerd over HTTP: batching, a small opening day, the
//            origin-integration examples (vitest.sim.config.ts): needs Debian's python3-jwt
//
//   npm test                      every suite; a skipped test or a suite that cannot run is a failure
//   npm test -- e2e               some suites by name (the others are not run, by request)
//   npm test -- workers -t quota  more arguments go to vitest; the tests that filter leaves
//                                 out are skipped by request and do not fail the run
//
// Green means every test that was not left out on request ran and passed: a
// suite that crashes, a file whose hook failed (its tests report "skipped")
// and a vitest that exits non-zero with no failed test each count as a failure.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const SUITES = [
  { name: "workers", config: "vitest.config.ts" },
  { name: "demo", config: "vitest.demo.config.ts" },
  { name: "e2e", config: "vitest.e2e.config.ts", needs: chromium },
  { name: "sim", config: "vitest.sim.config.ts", needs: debianPyJwt },
];

const args = process.argv.slice(2);
const named = args.filter((a) => SUITES.some((s) => s.name === a));
const vitestArgs = args.filter((a) => !named.includes(a));
// Skipping is by request only: suites left out by naming others are not run, and
// skipped tests are forgiven only when a filter for vitest asked for it.
const skipsRequested = vitestArgs.length > 0;
const suites = named.length === 0 ? SUITES : SUITES.filter((s) => named.includes(s.name));

/** The browser the e2e suite drives (test/e2e/browser.ts). */
function chromium() {
  const path = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
  try {
    accessSync(path, constants.X_OK);
    return null;
  } catch {
    return `Chromium is missing (${path}). Install Debian's: sudo apt-get install -y chromium (or set CHROMIUM_PATH), then run npm test again.`;
  }
}

/** The Python example of docs/origin-integration.md runs on Debian's python3 with PyJWT and cryptography (ES256). */
function debianPyJwt() {
  const run = spawnSync("/usr/bin/python3", ["-c", "import jwt, cryptography"], { stdio: "ignore" });
  if (run.status === 0) return null;
  return "Debian's PyJWT is missing (/usr/bin/python3 cannot import jwt and cryptography). Install it: sudo apt-get install -y python3-jwt python3-cryptography, then run npm test again.";
}

function finish(passed, failed, skipped) {
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  const green = failed === 0 && passed > 0 && (skipped === 0 || skipsRequested);
  if (failed === 0 && skipped > 0 && !skipsRequested) console.log("Tests were skipped without a filter asking for it: that is a failure (pass a filter for vitest to leave tests out on purpose).");
  process.exit(green ? 0 : 1);
}

// Fail at once, before minutes of other suites, when a suite cannot run on this machine.
const missing = suites.map((s) => (s.needs ? s.needs() : null)).filter((m) => m !== null);
for (const m of missing) console.log(m);
if (missing.length > 0) finish(0, missing.length, 0);

mkdirSync(".test-results", { recursive: true });
let passed = 0;
let failed = 0;
let skipped = 0;
for (const suite of SUITES) {
  if (!suites.includes(suite)) {
    console.log(`\n=== ${suite.name}: not run (not named)`);
    continue;
  }
  if (!existsSync(suite.config)) {
    console.log(`\n=== ${suite.name}: ${suite.config} is missing; counted as one failure`);
    failed += 1;
    continue;
  }
  const out = join(".test-results", `${suite.name}.json`);
  rmSync(out, { force: true });
  console.log(`\n=== ${suite.name} (${suite.config})`);
  const run = spawnSync(
    join("node_modules", ".bin", "vitest"),
    ["run", "--config", suite.config, "--reporter=default", "--reporter=json", `--outputFile.json=${out}`, ...vitestArgs],
    { stdio: "inherit" },
  );
  if (!existsSync(out)) {
    console.log(`${suite.name}: no report (exit ${run.status}); counted as one failure`);
    failed += 1;
    continue;
  }
  const report = JSON.parse(readFileSync(out, "utf8"));
  const suitePassed = report.numPassedTests;
  // A file that failed without a failed test (it did not load, or a hook threw and its tests were skipped) is a failure all the same.
  const brokenFiles = report.testResults.filter((f) => f.status === "failed" && !f.assertionResults.some((a) => a.status === "failed")).length;
  let suiteFailed = report.numFailedTests + brokenFiles;
  // vitest's own count and the per-test statuses ("skipped", "pending", "todo"), whichever is larger.
  const notRun = report.testResults.flatMap((f) => f.assertionResults).filter((a) => a.status !== "passed" && a.status !== "failed").length;
  const suiteSkipped = Math.max(report.numPendingTests + report.numTodoTests, notRun);
  if (run.status !== 0 && suiteFailed === 0) {
    console.log(`${suite.name}: vitest exited ${run.status} without a failed test; counted as one failure`);
    suiteFailed = 1;
  }
  passed += suitePassed;
  failed += suiteFailed;
  skipped += suiteSkipped;
  console.log(`${suite.name}: ${suitePassed} passed, ${suiteFailed} failed, ${suiteSkipped} skipped`);
}
finish(passed, failed, skipped);
