// The start page: sign in once, then the apps of the loaded plugins that one's roles open.
import { $, Session, api, el, signInForm, t } from "/ui/kit/index.js";

const session = new Session("start", { onExpired: (message) => signOut(message) });

function appLink(app) {
  return el("a", { class: "card app", href: app.path, dataset: { app: app.name } },
            el("span", { class: "icon", "aria-hidden": "true" }, app.icon || "▣"),
            el("strong", {}, app.title),
            el("small", {}, app.description || ""));
}

async function start() {
  $("signin").replaceChildren();
  let me, apps;
  try {
    [me, { items: apps }] = await Promise.all([api(session, "/auth/me"), api(session, "/apps")]);
  } catch (error) {
    if (error.status !== 401) signOut(error.message);
    return;
  }
  const roles = me.roles.map((role) => t(`role.${role}`)).join(", ");
  $("who").textContent = `${me.username} (${roles}) · ${me.client_id}`;
  $("logout").hidden = false;
  $("apps").replaceChildren(...apps.map(appLink));
  $("no-apps").hidden = apps.length > 0;
  $("apps-section").hidden = false;
}

function signOut(message = "") {
  session.signOut();
  $("who").textContent = "";
  $("logout").hidden = true;
  $("apps-section").hidden = true;
  $("apps").replaceChildren();
  $("signin").replaceChildren(signInForm(session, { onSignedIn: start }));
  if (message) $("login-error").textContent = message;
}

$("logout").addEventListener("click", () => signOut());
if (session.token) start(); else signOut();
