#!/usr/bin/env node
// What the room's indexes add to a claim's write, and what random keys would
// add to it: the room's tickets table (src/durable/queue-room/queue-room.ts) with 60,000
// called tickets, admitted 50 at a time by the claim batch's own statement
// (UPDATE … FROM json_each, one transaction per batch), with all of the
// room's indexes, without the jti index, without it and the state index, and
// with none; then the same with random (UUID v4) jtis in place of the room's
// time-ordered ones (UUID v7). Node's own SQLite (node:sqlite), WAL and
// synchronous=FULL, in a temporary directory: the engine workerd's objects
// use, not workerd itself, so read the differences, not the totals.
// Round 8 dropped tickets_by_jti and restored it: inside workerd, side by
// side (bench/ab.mjs), the build that dropped it cost 5-7% more a claim,
// against what this script shows; bench/HISTORY.md's round 8 has the figures.
//   node bench/sqlite-indexes.mjs [--rounds 2]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DatabaseSync } from "node:sqlite";

const { values: args } = parseArgs({ options: { rounds: { type: "string", default: "2" } } });
const TICKETS = 60_000;
const ADMITTED = 50_000;
const BATCH = 50;
const INDEXES = {
  state: "CREATE INDEX tickets_by_state ON tickets(state, number)",
  call: "CREATE INDEX tickets_by_call ON tickets(called_at) WHERE called_at IS NOT NULL",
  jti: "CREATE INDEX tickets_by_jti ON tickets(jti) WHERE jti IS NOT NULL",
  deadline: "CREATE INDEX tickets_by_deadline ON tickets(state, deadline) WHERE deadline IS NOT NULL",
  wait: "CREATE INDEX tickets_by_wait ON tickets((called_at - entered_at)) WHERE called_at IS NOT NULL",
};
const hex = (n) => n.toString(16).padStart(12, "0");
// As src/auth/ticket.ts's newJti: the millisecond first (version 7), then random digits.
const orderedJti = () => {
  const ms = hex(Date.now());
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${crypto.randomUUID().slice(15)}`;
};
const randomJti = () => crypto.randomUUID();

const dir = mkdtempSync(join(tmpdir(), "guichet-sqlite-"));
/** µs per admitted ticket. */
function measure(indexes, jtiOf) {
  const file = join(dir, `t${Math.random().toString(36).slice(2)}.db`);
  const db = new DatabaseSync(file);
  try {
    db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    db.exec(`CREATE TABLE tickets (number INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL UNIQUE, entered_at INTEGER NOT NULL, state TEXT NOT NULL,
      called_at INTEGER, deadline INTEGER, jti TEXT, device TEXT, requeued_at INTEGER, ended_at INTEGER)`);
    for (const name of indexes) db.exec(INDEXES[name]);
    const insert = db.prepare("INSERT INTO tickets (number, ticket_id, entered_at, state, called_at, deadline) VALUES (?, ?, ?, 'called', ?, ?)");
    db.exec("BEGIN");
    for (let n = 1; n <= TICKETS; n++) insert.run(n, `${hex(n)}${crypto.randomUUID().slice(0, 10)}`, n, TICKETS + n, 2 * TICKETS + n);
    db.exec("COMMIT");
    const admit = db.prepare(
      "UPDATE tickets SET state = 'admitted', deadline = ?, jti = a.value ->> 1, device = a.value ->> 2 FROM json_each(?) AS a WHERE tickets.number = a.value ->> 0",
    );
    const started = process.hrtime.bigint();
    for (let first = 1; first <= ADMITTED; first += BATCH) {
      const rows = Array.from({ length: BATCH }, (_, k) => [first + k, jtiOf(), "desktop"]);
      db.exec("BEGIN");
      admit.run(10 * TICKETS, JSON.stringify(rows));
      db.exec("COMMIT");
    }
    return Number(process.hrtime.bigint() - started) / 1000 / ADMITTED;
  } finally {
    db.close();
  }
}

const CASES = [
  ["the room's indexes", Object.keys(INDEXES), orderedJti],
  ["without tickets_by_jti", ["state", "call", "deadline", "wait"], orderedJti],
  ["without tickets_by_jti and tickets_by_state", ["call", "deadline", "wait"], orderedJti],
  ["no index", [], orderedJti],
  ["the room's indexes, random jtis (UUID v4)", Object.keys(INDEXES), randomJti],
];
try {
  const results = CASES.map(() => []);
  for (let round = 0; round < Number(args.rounds); round++) CASES.forEach(([, indexes, jtiOf], i) => results[i].push(measure(indexes, jtiOf)));
  console.log(`| a claim batch's write (${BATCH} admissions, ${TICKETS.toLocaleString("en")} tickets) | µs per admission, each round |`);
  console.log("|---|---:|");
  CASES.forEach(([label], i) => console.log(`| ${label} | ${results[i].map((v) => v.toFixed(1)).join(", ")} |`));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
