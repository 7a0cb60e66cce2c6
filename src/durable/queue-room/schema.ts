// The QueueRoom's storage: the room's row, one row per ticket, the pre-queue
// and its draw, spent puzzles, per-minute counts, the origin's failures,
// faults and the outbox.
import { Faults } from "../shared/faults";
import { Outbox } from "../shared/outbox";
import type { Schema } from "../shared/schema";

const TABLES = `
  -- next_number lags MAX(tickets.number) + 1 after fresh arrivals, which write only their tickets (RoomState.load).
  CREATE TABLE IF NOT EXISTS room (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    config TEXT NOT NULL,
    config_version INTEGER NOT NULL,
    next_number INTEGER NOT NULL,
    serving_number INTEGER NOT NULL,
    paused INTEGER NOT NULL DEFAULT 0,
    closed_at INTEGER,
    closed_reason TEXT,
    accepted INTEGER NOT NULL DEFAULT 0,
    clock_offset_ms INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS tickets (
    number INTEGER PRIMARY KEY,
    ticket_id TEXT NOT NULL UNIQUE,
    entered_at INTEGER NOT NULL,
    state TEXT NOT NULL,
    called_at INTEGER,
    deadline INTEGER,
    jti TEXT,
    device TEXT,
    requeued_at INTEGER,
    ended_at INTEGER
  );
  CREATE INDEX IF NOT EXISTS tickets_by_state ON tickets(state, number);
  CREATE INDEX IF NOT EXISTS tickets_by_call ON tickets(called_at) WHERE called_at IS NOT NULL;
  -- An admission by its jti alone: the QuotaCounter's acceptances queued before it sent the number along
  -- (claims.ts, admissionRow). Every room keeps it and no start drops it: a DROP at start cost claims,
  -- the index did not (bench/HISTORY.md, "an index that stays").
  CREATE INDEX IF NOT EXISTS tickets_by_jti ON tickets(jti) WHERE jti IS NOT NULL;
  CREATE INDEX IF NOT EXISTS tickets_by_deadline ON tickets(state, deadline) WHERE deadline IS NOT NULL;
  -- Wait percentiles walk this index (ORDER BY … LIMIT 1 OFFSET k) instead of sorting the line in memory.
  CREATE INDEX IF NOT EXISTS tickets_by_wait ON tickets((called_at - entered_at)) WHERE called_at IS NOT NULL;
  -- The fair opening: pre-queue arrivals wait here, without a number, for the draw.
  CREATE TABLE IF NOT EXISTS prequeue (
    ticket_id TEXT PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    entered_at INTEGER NOT NULL,
    -- Set (to 0) once drawn; the number itself is in tickets.
    number INTEGER,
    left INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE IF NOT EXISTS fairness (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seed TEXT NOT NULL,
    commitment TEXT NOT NULL,
    committed_at INTEGER NOT NULL,
    shuffled_at INTEGER,
    shuffle_ms INTEGER
  );
  ${Faults.schema};
  -- Solved entry puzzles, by challenge id: each is good for one arrival.
  CREATE TABLE IF NOT EXISTS pow_used (id TEXT PRIMARY KEY, at INTEGER NOT NULL);
  -- Counts per minute; dirty: changed since the last copy to the outbox (and D1's minute_history).
  CREATE TABLE IF NOT EXISTS minutes (
    minute INTEGER PRIMARY KEY,
    arrivals INTEGER NOT NULL DEFAULT 0,
    calls INTEGER NOT NULL DEFAULT 0,
    admissions INTEGER NOT NULL DEFAULT 0,
    used INTEGER NOT NULL DEFAULT 0,
    expired INTEGER NOT NULL DEFAULT 0,
    no_shows INTEGER NOT NULL DEFAULT 0,
    left_count INTEGER NOT NULL DEFAULT 0,
    rpc_calls INTEGER NOT NULL DEFAULT 0,
    waiting INTEGER,
    active INTEGER,
    dirty INTEGER NOT NULL DEFAULT 0
  );
  -- The origin's failures the Worker's proxy reported, by kind (origin-failures.ts).
  CREATE TABLE IF NOT EXISTS origin_failures (kind TEXT PRIMARY KEY, count INTEGER NOT NULL, last_at INTEGER NOT NULL);
  ${Outbox.schema}`;

/** What storage at version v - 1 needs to reach v. */
const MIGRATIONS: Schema["migrations"] = {
  // The minutes' RPC calls, gauges and dirty flag (the history copied to D1).
  2: `
    ALTER TABLE minutes ADD COLUMN rpc_calls INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE minutes ADD COLUMN waiting INTEGER;
    ALTER TABLE minutes ADD COLUMN active INTEGER;
    ALTER TABLE minutes ADD COLUMN dirty INTEGER NOT NULL DEFAULT 0;`,
};

export const ROOM_SCHEMA: Schema = { version: 2, createdAs: 2, tables: TABLES, migrations: MIGRATIONS };
