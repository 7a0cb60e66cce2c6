// The headline cards, the phase badge and the controls' state, from one
// metrics snapshot.
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
  setCard("waiting", n(line.waiting), line.requeued ? `${n(line.requeued)} ↺` : "");
  setCard("called", n(line.called));
  setCard("admitted", n(line.admitted));
  setCard("active", `${n(line.active)} / ${n(m.settings.maxActive)}`);
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
