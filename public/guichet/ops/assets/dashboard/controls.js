// Pause, resume, close (behind typing the event id), and the CSV export of
// the accepted submissions, for Excel or for scripts.
import { AuthError, call, errorText, json } from "./api.js";
import { loadAuditSoon } from "./audit.js";
import { $, EVENT, T } from "./page.js";

async function control(path, done) {
  const out = $("#control-result");
  out.className = "";
  try {
    const { res, body } = await json(`event/${path}`, { method: "POST" });
    out.className = res.ok ? "ok" : "error";
    out.textContent = res.ok ? done : errorText(body);
    loadAuditSoon();
  } catch (err) {
    if (!(err instanceof AuthError)) {
      out.className = "error";
      out.textContent = T.networkError;
    }
  }
}

$("#pause").addEventListener("click", () => control("pause", T.pausedDone));
$("#resume").addEventListener("click", () => control("resume", T.resumedDone));

const closeDialog = $("#confirm-close");
const closeInput = closeDialog.querySelector("input");
$("#close").addEventListener("click", () => {
  closeInput.value = "";
  $("#close-confirm").disabled = true;
  closeDialog.showModal();
  closeInput.focus();
});
closeInput.addEventListener("input", () => {
  $("#close-confirm").disabled = closeInput.value.trim() !== EVENT;
});
$("#close-cancel").addEventListener("click", () => closeDialog.close());
$("#close-form").addEventListener("submit", (e) => {
  if (closeInput.value.trim() !== EVENT) {
    e.preventDefault();
    return;
  }
  control("close", T.closedDone);
});

/** Downloads the export: `excel` (semicolons, for a fr-CA Excel) or `rfc4180` (commas, for scripts). */
async function download(format, suffix) {
  try {
    const res = await call("submissions.csv", {}, { format });
    if (!res.ok) return;
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement("a");
    a.href = url;
    a.download = `${EVENT}-submissions${suffix}.csv`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  } catch {
    // AuthError asks for the token; a network failure shows on the stream indicator.
  }
}

$("#csv").addEventListener("click", (e) => {
  e.preventDefault();
  download("excel", "-excel");
});
$("#csv-rfc").addEventListener("click", (e) => {
  e.preventDefault();
  download("rfc4180", "");
});
