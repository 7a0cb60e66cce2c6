// The audit log's last hundred rows: who did what, with what changed (for a
// refused change: what was asked, and why it was refused).
import { json } from "./api.js";
import { $, fmt, stamp, T } from "./page.js";

function changeSummary(before, after) {
  const refused = after && typeof after === "object" ? after.refused : undefined;
  if (refused) {
    const { refused: _, ...asked } = after;
    const why = fmt(T.refusedBecause, { reason: refused.reason });
    return `${changeSummary(before ?? {}, asked)}\n(${why})`;
  }
  if (!before || !after || typeof before !== "object" || typeof after !== "object") return `${JSON.stringify(before)} → ${JSON.stringify(after)}`;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  const changed = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  const short = (v, k) => {
    if (k === "opensAt" && typeof v === "number") return stamp.format(new Date(v));
    const s = JSON.stringify(v);
    return s === undefined ? "—" : s.length > 60 ? `${s.slice(0, 57)}…` : s;
  };
  return changed.map((k) => `${k}: ${short(before[k], k)} → ${short(after[k], k)}`).join("\n") || "—";
}

export async function loadAudit() {
  try {
    const { res, body } = await json("audit");
    if (!res.ok) return;
    const tbody = $("#audit");
    tbody.replaceChildren(
      ...body.audit.slice(0, 100).map((r) => {
        const tr = document.createElement("tr");
        for (const text of [stamp.format(new Date(r.at)), r.actor, T[r.action] || r.action, changeSummary(r.before, r.after)]) {
          const td = document.createElement("td");
          td.textContent = text;
          tr.append(td);
        }
        return tr;
      }),
    );
  } catch {
    // Shown again on the next action or refresh.
  }
}

/**
 * After an action: the audit now, and again shortly, since its rows reach D1
 * through the room's outbox a moment after the action's answer.
 */
export function loadAuditSoon() {
  loadAudit();
  for (const ms of [1_500, 5_000]) setTimeout(loadAudit, ms);
}
