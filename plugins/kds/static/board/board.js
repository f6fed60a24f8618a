// The customer board: order numbers being prepared and ready, refreshed on every kitchen change.
import { $, EventStream, Session, api, el, signInForm } from "/ui/kit/index.js";

const session = new Session("kds-board", { persistent: true, onExpired: (m) => signOut(m) });
let stream = null, pending = null, shownReady = new Set();

async function refresh() {
  const { preparing, ready } = await api(session, "/kds/board");
  $("preparing").replaceChildren(...preparing.map((number) => el("li", {}, number)));
  $("ready").replaceChildren(...ready.map((number) => el("li", {
    class: shownReady.has(number) ? "" : "new" }, number)));
  shownReady = new Set(ready);
}

function later() {
  clearTimeout(pending);
  pending = setTimeout(refresh, 200);
}

function start() {
  $("signin").replaceChildren();
  $("columns").hidden = false;
  // A counter's login may not read the kitchen's stream: then the board looks every few seconds.
  stream = new EventStream(session, "/kds/stream", { snapshot: later, ticket: later,
                                                     error: () => setInterval(refresh, 5000) });
  refresh();
  setInterval(refresh, 30000);  // ready numbers leave the board after a while
}

function signOut(message = "") {
  if (stream) stream.close();
  session.signOut();
  $("columns").hidden = true;
  $("signin").replaceChildren(signInForm(session, { title: "Painel de pedidos",
                                                    onSignedIn: start }));
  if (message) $("login-error").textContent = message;
}

if (session.token) start(); else signOut();
