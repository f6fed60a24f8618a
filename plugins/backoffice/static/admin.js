// The back office: the menu, users, store settings (with the kitchen stations and printers),
// reports and the audit log, one section at a time, over the plugins' own APIs. Plain ES modules
// and the shared kit; no build, no CDN.
import { $, Session, api, el, signInForm, t } from "/ui/kit/index.js";
import * as audit from "./audit.js";
import * as catalog from "./catalog.js";
import { explain } from "./parts.js";
import * as reports from "./reports.js";
import * as store from "./store.js";
import * as users from "./users.js";

const MANAGERS = ["admin", "manager"];
const SECTIONS = [
  { name: "catalog", title: "Cardápio", roles: MANAGERS, module: catalog },
  { name: "users", title: "Usuários", roles: MANAGERS, module: users },
  { name: "settings", title: "Configurações", roles: MANAGERS, module: store },
  { name: "reports", title: "Relatórios", roles: MANAGERS, module: reports },
  { name: "audit", title: "Auditoria", roles: ["admin"], module: audit },
];
const session = new Session("admin", { onExpired: (message) => signOut(message) });

// What a section gets: the session, who is signed in, a banner, and a way to run an action.
const page = {
  session,
  me: null,
  get admin() { return this.me.roles.includes("admin"); },
  banner(message, bad = false) {
    const banner = $("banner");
    banner.textContent = message || "";
    banner.className = bad ? "banner bad" : "banner";
    banner.setAttribute("role", bad ? "alert" : "status");
    banner.hidden = !message;
  },
  // Run an API action; its error (422 details included) goes to the banner. Null on failure.
  async act(work, done = "") {
    try {
      const result = await work();
      this.banner(done);
      return result ?? true;
    } catch (error) {
      this.banner(explain(error), true);
      return null;
    }
  },
  // Show the section again (its data re-read), then `message` in the banner if one is given.
  async reload(message = "") {
    await open(current);
    if (message) this.banner(message);
  },
};
let current = null;

function allowed(section) {
  return section.roles.some((role) => page.me.roles.includes(role));
}

async function open(name) {
  const section = SECTIONS.find((s) => s.name === name && allowed(s))
    || SECTIONS.find(allowed);
  current = section.name;
  for (const tab of $("tabs").children) {
    tab.setAttribute("aria-selected", String(tab.dataset.section === section.name));
  }
  if (location.hash !== `#${section.name}`) history.replaceState(null, "", `#${section.name}`);
  $("view").setAttribute("aria-label", section.title);
  $("view").replaceChildren(el("p", { class: "muted" }, t("loading")));
  try {
    await section.module.show(page, $("view"));
  } catch (error) {
    $("view").replaceChildren();
    if (error.status !== 401) page.banner(explain(error), true);
  }
}

async function start() {
  $("signin").replaceChildren();
  try {
    page.me = await api(session, "/auth/me");
  } catch (error) {
    if (error.status !== 401) signOut(error.message);
    return;
  }
  if (!page.me.roles.some((role) => MANAGERS.includes(role))) {
    signOut(t("session.forbidden", { message: "a retaguarda é de gerentes e administradores" }));
    return;
  }
  $("who").textContent = `${page.me.username} · ${page.me.client_id}`;
  $("logout").hidden = false;
  $("tabs").replaceChildren(...SECTIONS.filter(allowed).map((section) => el("button", {
    type: "button", role: "tab", dataset: { section: section.name },
    onclick: () => { page.banner(""); open(section.name); } }, section.title)));
  $("tabs").hidden = false;
  await open(location.hash.slice(1));
}

function signOut(message = "") {
  session.signOut();
  page.me = null;
  page.banner("");
  $("who").textContent = "";
  $("logout").hidden = true;
  $("tabs").hidden = true;
  $("view").replaceChildren();
  $("signin").replaceChildren(signInForm(session, { title: "Entrar na retaguarda",
                                                    onSignedIn: start }));
  if (message) $("login-error").textContent = message;
}

$("logout").addEventListener("click", () => signOut());
if (session.token) start(); else signOut();
