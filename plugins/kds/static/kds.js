// The kitchen screen: one station's tickets (or the expo's orders), live over SSE, for a touch
// screen or a bump bar. Plain ES modules from the shared kit; no build, no CDN.
import { $, EventStream, Session, addTexts, api, clock, el, elapsed, quantity, signInForm, t }
  from "/ui/kit/index.js";

addTexts({
  "kds.start": "Iniciar", "kds.bump": "Pronto", "kds.ack": "Ciente", "kds.addition": "ADICIONAL",
  "kds.started": "EM PREPARO", "kds.ontime": "✓ no prazo", "kds.warn": "⚠ atenção",
  "kds.late": "‼ atrasado", "kds.void": "⚠ ITEM CANCELADO", "kds.cancelled": "✖ PEDIDO CANCELADO",
  "kds.voided": "cancelado", "kds.nothing_to_recall": "Nada para desfazer",
  "kds.ready": "PRONTO", "kds.preparing": "preparando",
});
const SOURCES = { pos: "Balcão", waiter: "Salão", kiosk: "Totem", remote: "Delivery" };
const STATION_KEY = "posmodern.kds.station";
const state = { stations: [], station: null, tickets: new Map(), stream: null, expo: [],
                lastBumped: null, timer: null, expoTimer: null };
const session = new Session("kds", { persistent: true, onExpired: (message) => signOut(message) });

function thresholds(code) {
  const station = state.stations.find((s) => s.code === code) || {};
  return { warn: (station.warn_minutes || 8) * 60, late: (station.late_minutes || 15) * 60 };
}

function since(ticket) {
  return ticket.fired_at || ticket.created_at;
}

function age(ticket) {
  return (Date.now() - new Date(since(ticket)).getTime()) / 1000;
}

// Colour and words say the same: a screen read from afar, or by someone colour-blind.
function lateness(ticket) {
  const limits = thresholds(ticket.station), seconds = age(ticket);
  if (seconds >= limits.late) return ["late", t("kds.late")];
  if (seconds >= limits.warn) return ["warn", t("kds.warn")];
  return ["ontime", t("kds.ontime")];
}

function where(ticket) {
  const parts = [SOURCES[ticket.source] || ticket.source];
  if (ticket.table_number) parts.push(`Mesa ${ticket.table_number}`);
  if (ticket.customer_name) parts.push(ticket.customer_name);
  return parts.filter(Boolean).join(" · ");
}

function onScreen(ticket) {
  return ["NEW", "STARTED"].includes(ticket.status) || Boolean(ticket.alert);
}

function visible() {
  return [...state.tickets.values()].filter(onScreen)
    .sort((a, b) => since(a).localeCompare(since(b)) || a.station.localeCompare(b.station));
}

// --- actions ------------------------------------------------------------------------------------

async function act(ticket, action) {
  try {
    const saved = await api(session, `/kds/tickets/${ticket.ticket_id}/${action}`,
                            { method: "POST" });
    if (action === "bump") state.lastBumped = saved.ticket_id;
    apply(saved, false);
  } catch (error) {
    showBanner(error.message, true);
  }
}

async function toggleItem(ticket, item) {
  try {
    apply(await api(session, `/kds/tickets/${ticket.ticket_id}/items/${item.item_id}/done`,
                    { method: "POST", body: { done: !item.done } }), false);
  } catch (error) {
    showBanner(error.message, true);
  }
}

async function recallLast() {
  let ticketId = state.lastBumped;
  if (!ticketId) {
    const query = new URLSearchParams({ status: "BUMPED", limit: "1" });
    if (state.station && state.station.kind === "prep") query.set("station", state.station.code);
    const { items } = await api(session, `/kds/tickets?${query}`);
    ticketId = items.length ? items[0].ticket_id : null;
  }
  if (!ticketId) return showBanner(t("kds.nothing_to_recall"));
  state.lastBumped = null;
  try {
    apply(await api(session, `/kds/tickets/${ticketId}/recall`, { method: "POST" }), false);
  } catch (error) {
    showBanner(error.message, true);
  }
}

// --- drawing ------------------------------------------------------------------------------------

function apply(ticket, flash = true) {
  const known = state.tickets.get(ticket.ticket_id);
  state.tickets.set(ticket.ticket_id, ticket);
  if (isExpo()) return scheduleExpo();
  render(flash && (!known || known.status !== ticket.status || known.alert !== ticket.alert
                   || JSON.stringify(known.items) !== JSON.stringify(ticket.items))
         ? ticket.ticket_id : null);
}

// A rush sends many changes a second: they are drawn once per frame, and a ticket that did not
// change keeps its card (building hundreds of cards per change fell seconds behind at 20 orders/s).
const drawing = { frame: 0, flash: new Set(), cards: new Map() };

function render(flashId = null) {
  if (flashId) drawing.flash.add(flashId);
  if (!drawing.frame) drawing.frame = requestAnimationFrame(draw);
}

function draw() {
  drawing.frame = 0;
  const board = $("board");
  const shown = visible();
  const nodes = shown.map((ticket, index) => cardOf(ticket, index + 1));
  const same = nodes.length === board.children.length
    && nodes.every((node, i) => board.children[i] === node);
  if (!same) board.replaceChildren(...nodes);
  const ids = new Set(shown.map((ticket) => ticket.ticket_id));
  for (const id of drawing.cards.keys()) if (!ids.has(id)) drawing.cards.delete(id);
  $("empty").hidden = shown.length > 0;
  for (const id of drawing.flash) {
    const node = board.querySelector(`[data-ticket="${id}"]`);
    if (node) node.classList.add("flash");
  }
  drawing.flash.clear();
}

function cardOf(ticket, position) {
  const key = JSON.stringify([ticket, position, lateness(ticket)[0], isExpo()]);
  const known = drawing.cards.get(ticket.ticket_id);
  if (known && known.key === key) return known.node;
  const node = card(ticket, position);
  drawing.cards.set(ticket.ticket_id, { key, node });
  return node;
}

function card(ticket, position) {
  const [level, words] = lateness(ticket);
  const cancelled = ticket.status === "CANCELLED";
  const classes = ["ticket", level, cancelled ? "cancelled" : "", ticket.alert ? "alerting" : ""];
  return el("article", { class: classes.join(" "), dataset: { ticket: ticket.ticket_id,
                                                              status: ticket.status } },
    el("header", {},
      el("span", { class: "pos", title: `Tecla ${position}` }, position <= 9 ? position : "·"),
      el("span", { class: "number" }, `#${ticket.order_number}`),
      ticket.addition ? el("span", { class: "badge" }, t("kds.addition")) : null,
      ticket.status === "STARTED" ? el("span", { class: "badge started" }, t("kds.started"))
                                  : null,
      el("span", { class: "timer", dataset: { since: since(ticket) } }, elapsed(age(ticket)),
         el("small", {}, words))),
    ticket.alert ? el("div", { class: "alert-text" },
                      t(ticket.alert === "cancelled" ? "kds.cancelled" : "kds.void")) : null,
    el("div", { class: "where" }, where(ticket) || "–",
       isExpo() ? el("span", { class: "badge" }, ticket.station) : null,
       ticket.notes ? el("div", { class: "note" }, ticket.notes) : null),
    el("ul", {}, ticket.items.map((item) => el("li", {
      class: item.voided ? "voided" : item.done ? "done" : "", dataset: { item: item.item_id } },
      el("button", { type: "button", disabled: item.voided || cancelled,
                     onclick: () => toggleItem(ticket, item) },
        el("span", { class: "qty" }, `${quantity(item.quantity)}×`), item.product_name,
        item.done ? " ✓" : "", item.voided ? ` (${t("kds.voided")})` : "",
        item.course ? el("span", { class: "badge" }, item.course) : null,
        modifiers(item),
        item.notes ? el("span", { class: "note" }, item.notes) : null,
        customizations(item))))),
    el("div", { class: "actions" },
      ticket.alert ? el("button", { type: "button", class: "big ack",
                                    onclick: () => act(ticket, "acknowledge") }, t("kds.ack"))
                   : null,
      ticket.status === "NEW" ? el("button", { type: "button", class: "big start",
                                               onclick: () => act(ticket, "start") },
                                   t("kds.start")) : null,
      onScreen(ticket) && !cancelled ? el("button", { type: "button", class: "big bump",
                                                      onclick: () => act(ticket, "bump") },
                                          `✓ ${t("kds.bump")}`) : null));
}

// The options chosen for the item, one per line: "+ Bacon" for a charged extra, "Ao ponto"
// for a choice (the same words as the printed kitchen ticket).
function modifiers(item) {
  const chosen = Array.isArray(item.modifiers) ? item.modifiers : [];
  if (!chosen.length) return null;
  return el("span", { class: "modifiers" }, ...chosen.map((option) =>
    el("span", { class: "modifier" }, Number(option.price) > 0 ? `+ ${option.name}`
                                                               : String(option.name))));
}

function customizations(item) {
  const value = item.customizations;
  if (!value || typeof value !== "object") return null;
  const parts = Array.isArray(value) ? value.map(String)
    : Object.entries(value).filter(([key]) => !["hold", "course"].includes(key))
      .map(([key, v]) => `${key}: ${Array.isArray(v) ? v.join(", ") : v}`);
  return parts.length ? el("span", { class: "note" }, parts.join(" · ")) : null;
}

function tick() {
  $("clock").textContent = clock(new Date());
  for (const node of document.querySelectorAll("article.ticket")) {
    const ticket = state.tickets.get(node.dataset.ticket);
    if (!ticket) continue;
    const [level, words] = lateness(ticket);
    for (const name of ["ontime", "warn", "late"]) node.classList.toggle(name, name === level);
    const timer = node.querySelector(".timer");
    timer.firstChild.textContent = elapsed(age(ticket));
    timer.querySelector("small").textContent = words;
  }
}

// --- expo: every order and its stations ---------------------------------------------------------

function isExpo() {
  return state.station && state.station.kind === "expo";
}

function scheduleExpo() {
  clearTimeout(state.expoTimer);
  state.expoTimer = setTimeout(loadExpo, 150);
}

async function loadExpo() {
  const { items } = await api(session, "/kds/expo");
  $("board").replaceChildren(...items.map((order) => el("article", {
    class: `ticket order ${order.ready ? "ready" : ""} ${order.cancelled ? "cancelled" : ""}`,
    dataset: { order: order.order_id } },
    el("header", {}, el("span", { class: "number" }, `#${order.order_number}`),
       el("span", { class: "timer" }, order.ready ? `✓ ${t("kds.ready")}` : t("kds.preparing"))),
    el("div", { class: "where" }, where(order) || "–"),
    el("div", { class: "stations" }, order.tickets.map((ticket) => el("span", {
      class: `station ${ticket.status === "BUMPED" ? "done" : ""}` },
      `${ticket.status === "BUMPED" ? "✓" : "…"} ${ticket.station}`
      + (ticket.addition ? ` +${ticket.round}` : "")))))));
  $("empty").hidden = items.length > 0;
}

async function showAllDay() {
  const box = $("all-day");
  if (!box.hidden) { box.hidden = true; return; }
  const query = state.station && state.station.kind === "prep" ? `?station=${state.station.code}`
                                                               : "";
  const { stations } = await api(session, `/kds/all-day${query}`);
  box.replaceChildren(...stations.map((station) => el("div", {},
    el("h3", {}, station.station),
    el("table", {}, el("tbody", {}, station.items.map((line) => el("tr", {},
      el("td", {}, el("strong", {}, `${quantity(line.quantity)}×`)),
      el("td", {}, line.product_name))))))));
  box.hidden = false;
}

// --- live ---------------------------------------------------------------------------------------

function setLive(text, ok) {
  $("live").hidden = false;
  $("live").textContent = text;
  $("live").style.borderColor = ok ? "#3fb950" : "#d29922";
}

function follow() {
  if (state.stream) state.stream.close();
  state.tickets.clear();
  const code = state.station ? state.station.code : null;
  state.stream = new EventStream(session, `/kds/stream${code ? `?station=${code}` : ""}`, {
    open: () => setLive(t("live.on"), true),
    lost: () => setLive(t("live.reconnecting"), false),
    error: (error) => showBanner(error.message, true),
    snapshot: ({ tickets }) => {
      state.tickets.clear();
      for (const ticket of tickets) state.tickets.set(ticket.ticket_id, ticket);
      if (isExpo()) scheduleExpo(); else render();
    },
    ticket: ({ ticket }) => apply(ticket),
  });
  window.kdsStream = state.stream;  // a bump bar's tests (and a curious cook) can reconnect it
}

function chooseStation(code) {
  state.station = state.stations.find((s) => s.code === code)
    || state.stations.find((s) => s.is_default) || state.stations[0];
  localStorage.setItem(STATION_KEY, state.station.code);
  $("station-name").textContent = `· ${state.station.name}`;
  for (const button of $("stations").querySelectorAll("button")) {
    button.setAttribute("aria-pressed", String(button.dataset.station === state.station.code));
  }
  $("bar").hidden = isExpo();
  $("all-day").hidden = true;
  follow();
}

function showBanner(message, bad = false) {
  const banner = $("banner");
  banner.textContent = message;
  banner.className = bad ? "banner bad" : "banner";
  banner.hidden = !message;
  if (message) setTimeout(() => { if (banner.textContent === message) banner.hidden = true; }, 6000);
}

function onKey(event) {
  if (event.target.closest("input, textarea") || event.ctrlKey || event.metaKey || event.altKey) {
    return;
  }
  if (/^[1-9]$/.test(event.key) && !isExpo()) {
    const ticket = visible()[Number(event.key) - 1];
    if (ticket && !ticket.alert) act(ticket, "bump");
    else if (ticket) act(ticket, "acknowledge");
  } else if (event.key === "0" || event.key.toLowerCase() === "r") {
    recallLast();
  }
}

// --- start --------------------------------------------------------------------------------------

async function start() {
  $("signin").replaceChildren();
  let stations;
  try {
    ({ items: stations } = await api(session, "/kds/stations"));
  } catch (error) {
    if (error.status !== 401) showBanner(error.message, true);
    if (error.status === 403) signOut(t("session.forbidden", { message: error.message }));
    return;
  }
  state.stations = stations.filter((s) => s.active);
  $("stations").replaceChildren(...state.stations.map((s) => el("button", {
    type: "button", dataset: { station: s.code }, onclick: () => chooseStation(s.code) },
    s.name)));
  $("logout").hidden = false;
  $("all-day-toggle").hidden = false;
  const wanted = new URLSearchParams(location.search).get("station")
    || localStorage.getItem(STATION_KEY);
  chooseStation(wanted);
  clearInterval(state.timer);
  state.timer = setInterval(tick, 1000);
  tick();
}

function signOut(message = "") {
  if (state.stream) state.stream.close();
  state.stream = null;
  clearInterval(state.timer);
  session.signOut();
  state.tickets.clear();
  $("board").replaceChildren();
  $("stations").replaceChildren();
  $("logout").hidden = true;
  $("all-day-toggle").hidden = true;
  $("bar").hidden = true;
  $("live").hidden = true;
  $("empty").hidden = true;
  $("signin").replaceChildren(signInForm(session, { title: "Entrar na cozinha",
                                                    onSignedIn: start }));
  if (message) $("login-error").textContent = message;
}

document.addEventListener("keydown", onKey);
$("recall").addEventListener("click", recallLast);
$("logout").addEventListener("click", () => signOut());
$("all-day-toggle").addEventListener("click", showAllDay);
if (session.token) start(); else signOut();
