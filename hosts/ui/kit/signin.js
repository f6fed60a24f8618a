// The sign-in form every page shows before its work: tenant, user and password.
import { el } from "./dom.js";
import { t } from "./i18n.js";

export function signInForm(session, { title = t("signin.title"), note = "", onSignedIn,
                                      clientId = "" } = {}) {
  const error = el("p", { class: "error", role: "alert", id: "login-error" });
  const form = el("form", { id: "login-form", class: "signin" },
    el("label", {}, t("signin.client"),
       el("input", { name: "client_id", autocomplete: "organization", required: true,
                     value: clientId })),
    el("label", {}, t("signin.username"),
       el("input", { name: "username", autocomplete: "username", required: true })),
    el("label", {}, t("signin.password"),
       el("input", { name: "password", type: "password", autocomplete: "current-password",
                     required: true })),
    el("button", { type: "submit", class: "big" }, t("signin.submit")),
    error);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    error.textContent = "";
    try {
      await session.signIn({ client_id: data.get("client_id"), username: data.get("username"),
                             password: data.get("password") });
    } catch (failure) {
      error.textContent = failure.message;
      return;
    }
    form.reset();
    if (onSignedIn) onSignedIn();
  });
  return el("section", { class: "card narrow", id: "login" },
            el("h2", {}, title), note ? el("p", { class: "muted" }, note) : null, form);
}
