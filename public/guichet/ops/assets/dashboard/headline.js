// The headline cards, the phase badge, the warnings and the controls' state,
// from one metrics snapshot.
import { $, clock, duration, fmt, n, T } from "./page.js";

function setCard(id, text, title) {
  const el = document.querySelector(`[data-metric="${id}"]`);
  if (!el) return;
  if (el.textContent !== text) el.textContent = text;
  if (title !== undefined) el.parentElement.title = title;
}

export function showHeadline(m) {
  const line = m.line;
  const sub = m.submissions;
  setCard("entered", n(line.entered));
  const atClose = line.waitingAtClose === null || line.waitingAtClose === undefined ? "" : fmt(T.waitingAtClose, { n: n(line.waitingAtClose) });
  setCard("waiting", n(line.waiting), line.requeued ? `${n(line.requeued)} ↺` : atClose);
  setCard("called", n(line.called));
  setCard("admitted", n(line.admitted));
  setCard("active", `${n(line.active)} / ${n(m.settings.maxActive)}`);
  // Above the cap (after maxActive was lowered, say): nobody is called until it drains; say so.
  const above = line.active > m.settings.maxActive;
  $("#card-active").classList.toggle("card-warn", above);
  const warning = $("#active-warning");
  const text = above ? fmt(T.activeAboveMax, { active: n(line.active), max: n(m.settings.maxActive) }) : "";
  if (warning.textContent !== text) warning.textContent = text;
  warning.hidden = !above;
  setCard("used", n(line.used));
  setCard("expired", n(line.expired));
  setCard("noShows", n(line.noShows), `${n(line.noShowLapses)}`);
  setCard("left", n(line.left));
  setCard("accepted", `${n(sub.accepted)} / ${n(sub.quota)}`);
  setCard("placesLeft", n(sub.placesLeft));
  setCard("duplicates", n(sub.duplicatesRefused));
  setCard("devices", n(sub.deviceRefusals));
  setCard("arrivalsPerMinute", n(m.perMinute.arrivals));
  setCard("callsPerMinute", n(m.perMinute.calls));
  setCard("submissionsPerMinute", n(m.perMinute.submissions));
  setCard("waitP50", duration(m.wait.p50Seconds));
  setCard("waitP95", duration(m.wait.p95Seconds));
  setCard("eta", duration(m.quotaFillEtaSeconds));
  setCard("oldest", m.oldestWaiting ? `#${n(m.oldestWaiting.number)} · ${duration(m.oldestWaiting.waitingSeconds)}` : "—");
  const failures = m.origin ? m.origin.failures : null;
  if (failures) {
    const total = failures.timeout + failures.unreachable + failures.server_error;
    setCard("originFailures", n(total), fmt(T.originFailuresByKind, { timeout: n(failures.timeout), unreachable: n(failures.unreachable), server_error: n(failures.server_error) }));
  }
  const d = m.durableObjects;
  setCard("doCalls", n(d.queueRoom.callsPerMinute + d.quotaCounter.callsPerMinute), `QueueRoom ${n(d.queueRoom.callsPerMinute)} · QuotaCounter ${n(d.quotaCounter.callsPerMinute)}`);

  const phase = $("#phase");
  phase.textContent = T[`phase_${m.phase}`] || m.phase;
  phase.className = `badge badge-${m.phase}`;
  $("#paused").hidden = !m.paused;
  $("#pause").hidden = m.paused;
  $("#resume").hidden = !m.paused;
  const closed = m.phase === "closed";
  for (const id of ["#pause", "#resume", "#close"]) $(id).disabled = closed;
  $("#updated").textContent = fmt(T.updated, { t: clock.format(new Date(m.at)) });
}
