// The token dialog: asked once per tab (sessionStorage), again only when
// the API refuses it; "forget the token" clears it and reloads.
import { forgetToken, saveToken } from "./api.js";
import { $ } from "./page.js";

const login = $("#login");

export function askForToken(refused) {
  $("#login-error").hidden = !refused;
  if (!login.open) login.showModal();
  login.querySelector("input").focus();
}

/** Wires the dialog; `onToken` runs once a token is saved. */
export function setupLogin(onToken) {
  $("#login-form").addEventListener("submit", (e) => {
    const input = e.target.elements.token;
    const value = input.value.trim();
    if (!value) {
      e.preventDefault();
      return;
    }
    saveToken(value);
    input.value = "";
    onToken();
  });
  login.addEventListener("cancel", (e) => e.preventDefault());
  $("#logout").addEventListener("click", () => {
    forgetToken();
    location.reload();
  });
}
