// The waiter's page: the floor map with live table states (SSE), a table's tab, new rounds with
// notes, courses and the products' options (the kit's dialog), firing the held course, what the
// kitchen marked ready, asking for the bill. Plain ES modules from the shared kit; no build, no CDN.
import { $, EventStream, Session, addTexts, api, chooseOptions, el, fromCents, groupsOf,
         modifiersOf, money, newKey, optionsText, quantity, sameOptions, signInForm, t,
         unitCents } from "/ui/kit/index.js";

addTexts({
  "table.FREE": "Livre", "table.OCCUPIED": "Ocupada", "table.BILL_REQUESTED": "Conta pedida",
  "table.RESERVED": "Reservada", "kitchen.held": "‖ em espera", "kitchen.waiting": "◷ na fila",
  "kitchen.cooking": "● em preparo", "kitchen.ready": "✓ pronto",
  "kitchen.cancelled": "✖ cancelado", "waiter.empty": "Mesa sem pedidos",
  "waiter.sent": "Pedido enviado para a cozinha", "waiter.fired": "Próximo tempo disparado",
  "waiter.billed": "Conta pedida: a conferência foi impressa", "waiter.table": "Mesa {number}",
  "waiter.total": "Total {total} · falta {remaining}", "waiter.now": "Agora",
  "waiter.later": "2º tempo", "waiter.note": "Observação", "waiter.ready": "✓ pronto",
  "waiter.add_to_round": "Adicionar à rodada", "waiter.remove": "Remover {name}",
});
const GRID = 100;
const state = { layouts: [], layout: null, tables: new Map(), open: null, tab: null,
                products: [], draft: [], stream: null };
const session = new Session("waiter", { persistent: true, onExpired: (m) => signOut(m) });

function showBanner(message, bad = false) {
  const banner = $("banner");
  banner.textContent = message;
  banner.className = bad ? "banner bad" : "banner";
  banner.hidden = !message;
}

function failed(error) {
  showBanner(error.message, true);
}

// --- the floor ----------------------------------------------------------------------------------

function placed(node, thing) {
  Object.assign(node.style, { left: `${thing.x}%`, top: `${thing.y}%`,
                              width: `${thing.width}%`, height: `${thing.height}%` });
  return node;
}

function tableButton(table) {
  return placed(el("button", {
    type: "button", class: `table ${table.shape} ${table.status}`,
    dataset: { table: table.table_id, status: table.status },
    "aria-label": `${t("waiter.table", { number: table.table_number })}: ${t(`table.${table.status}`)}`
      + (table.order_status === "READY" ? `, ${t("waiter.ready")}` : ""),
    onclick: () => openTable(table.table_id) },
    el("span", { class: "number" }, table.table_number),
    el("span", { class: "state" }, t(`table.${table.status}`)),
    table.order_status === "READY" ? el("span", { class: "ready" }, t("waiter.ready")) : null),
    table);
}

function drawFloor() {
  const layout = state.layouts.find((l) => l.layout_id === state.layout);
  if (!layout) return;
  const elements = layout.elements.map((e) => placed(el("div", {
    class: `element ${e.kind}`, "aria-hidden": "true" }, e.label || ""), e));
  const tables = [...state.tables.values()].filter((x) => x.layout_id === state.layout)
    .map(tableButton);
  $("floor").replaceChildren(...elements, ...tables);
  for (const button of $("layouts").children) {
    button.setAttribute("aria-pressed", String(button.dataset.layout === state.layout));
  }
}

function chooseLayout(layoutId) {
  state.layout = layoutId;
  drawFloor();
}

function follow() {
  if (state.stream) state.stream.close();
  state.stream = new EventStream(session, "/waiter/stream", {
    open: () => setLive(t("live.on")),
    lost: () => setLive(t("live.reconnecting")),
    error: failed,
    snapshot: ({ tables }) => {
      state.tables.clear();
      for (const table of tables) state.tables.set(table.table_id, table);
      drawFloor();
    },
    table: ({ table }) => {
      state.tables.set(table.table_id, table);
      drawFloor();
      if (state.open === table.table_id) loadTab();
    },
    kitchen: ({ order_id }) => {
      if (state.tab && state.tab.order.order_id === order_id) loadTab();
    },
  });
}

function setLive(text) {
  $("live").textContent = text;
  $("live").hidden = false;
}

// --- a table's tab ------------------------------------------------------------------------------

async function openTable(tableId) {
  state.open = tableId;
  state.draft = [];
  $("tab").hidden = false;
  drawDraft();
  await loadTab();
  $("tab").scrollIntoView({ behavior: "smooth", block: "start" });
}

async function loadTab() {
  const table = state.tables.get(state.open);
  $("tab-title").textContent = t("waiter.table", { number: table.table_number });
  $("tab-state").textContent = t(`table.${table.status}`);
  try {
    state.tab = await api(session, `/waiter/tables/${state.open}/tab`);
  } catch (error) {
    if (error.status !== 409) return failed(error);
    state.tab = null;
  }
  drawTab();
}

function drawTab() {
  const tab = state.tab;
  $("fire").hidden = !tab || !tab.order.items.some((i) => i.kitchen === "held");
  $("bill").hidden = !tab;
  if (!tab) {
    $("tab-items").replaceChildren(el("li", { class: "muted" }, t("waiter.empty")));
    $("tab-total").textContent = "";
    return;
  }
  $("tab-items").replaceChildren(...tab.order.items.map((item) => el("li", {
    dataset: { item: item.item_id, kitchen: item.kitchen || "" } },
    el("span", {}, `${quantity(item.quantity)}×`),
    el("span", { class: "name" }, item.product_name,
       (item.modifiers || []).length ? el("small", { class: "options-chosen" },
                                          optionsText(item.modifiers)) : null,
       item.notes ? el("small", { class: "muted" }, ` — ${item.notes}`) : null),
    item.kitchen ? el("span", { class: `kitchen ${item.kitchen}` }, t(`kitchen.${item.kitchen}`))
      : null,
    el("span", {}, money(item.subtotal)))));
  $("tab-total").textContent = t("waiter.total", { total: money(tab.order.total),
                                                   remaining: money(tab.balance.remaining) });
}

// --- a new round --------------------------------------------------------------------------------

// A product with options asks for them first; the same product with other options is another
// line.
async function tap(product) {
  let options = [];
  if (groupsOf(product).length) {
    options = await chooseOptions(product, { confirm: t("waiter.add_to_round") });
    if (!options) return;
  }
  addToDraft(product, options);
}

function addToDraft(product, options = []) {
  const same = state.draft.find((line) => line.product.product_id === product.product_id
                                 && !line.notes && !line.hold && sameOptions(line.options, options));
  if (same) same.quantity += 1;
  else state.draft.push({ product, quantity: 1, notes: "", hold: false, options });
  drawDraft();
}

function drawDraft() {
  $("draft").replaceChildren(...state.draft.map((line, index) => {
    const name = line.options.length ? `${line.product.name} (${optionsText(line.options)})`
      : line.product.name;
    return el("li", {},
      el("span", {}, `${line.quantity}×`),
      el("span", { class: "name" }, line.product.name,
         line.options.length ? el("small", { class: "options-chosen" },
                                  optionsText(line.options)) : null),
      el("span", {}, money(fromCents(unitCents(line.product, line.options) * line.quantity))),
      el("input", { type: "text", value: line.notes, placeholder: t("waiter.note"),
                    "aria-label": `${t("waiter.note")}: ${name}`,
                    oninput: (event) => { line.notes = event.target.value; } }),
      el("label", {}, el("input", { type: "checkbox", checked: line.hold,
                                    onchange: (event) => { line.hold = event.target.checked; } }),
         t("waiter.later")),
      el("button", { type: "button", "aria-label": t("waiter.remove", { name }),
                     onclick: () => { state.draft.splice(index, 1); drawDraft(); } }, "✕"));
  }));
  $("send").disabled = state.draft.length === 0;
}

async function send() {
  const items = state.draft.map((line) => ({
    product_id: line.product.product_id, quantity: String(line.quantity),
    ...(line.notes.trim() ? { notes: line.notes.trim() } : {}),
    ...(line.hold ? { hold: true, course: 2 } : {}),
    ...(line.options.length ? { modifiers: modifiersOf(line.options) } : {}) }));
  $("send").disabled = true;
  try {
    state.tab = await api(session, `/waiter/tables/${state.open}/rounds`,
                          { method: "POST", body: { items }, idempotencyKey: newKey() });
    state.draft = [];
    drawDraft();
    drawTab();
    showBanner(t("waiter.sent"));
  } catch (error) {
    $("send").disabled = false;
    failed(error);
  }
}

async function fire() {
  try {
    await api(session, `/kds/orders/${state.tab.order.order_id}/fire`, { method: "POST" });
    showBanner(t("waiter.fired"));
    await loadTab();
  } catch (error) {
    failed(error);
  }
}

async function requestBill() {
  try {
    state.tab = await api(session, `/waiter/tables/${state.open}/bill`, { method: "POST" });
    drawTab();
    showBanner(t("waiter.billed"));
  } catch (error) {
    failed(error);
  }
}

function drawMenu() {
  $("menu").replaceChildren(...state.products.map((product) => {
    const options = groupsOf(product).length > 0;
    return el("button", {
      type: "button", dataset: { product: product.product_id },
      "aria-label": `${product.name}, ${money(product.price)}`
                    + (options ? `, ${t("options.has")}` : ""),
      onclick: () => tap(product) },
      el("strong", {}, product.name), el("br"), el("span", { class: "muted" },
                                                    money(product.price)),
      options ? el("span", { class: "muted" }, ` · ${t("options.tag")}`) : null);
  }));
}

// --- start and sign-out -------------------------------------------------------------------------

async function start() {
  $("signin").replaceChildren();
  try {
    const [{ items: layouts }, { items: products }] = await Promise.all([
      api(session, "/waiter/layouts"), api(session, "/products?limit=100")]);
    state.layouts = layouts;
    state.products = products.filter((p) => p.is_available !== false);
  } catch (error) {
    if (error.status === 403) signOut(t("session.forbidden", { message: error.message }));
    else if (error.status !== 401) failed(error);
    return;
  }
  $("layouts").replaceChildren(...state.layouts.map((layout) => el("button", {
    type: "button", dataset: { layout: layout.layout_id },
    onclick: () => chooseLayout(layout.layout_id) }, layout.name)));
  state.layout = (state.layouts.find((l) => l.tables.length) || state.layouts[0] || {}).layout_id;
  for (const id of ["floor", "legend", "logout"]) $(id).hidden = false;
  drawMenu();
  follow();
}

function signOut(message = "") {
  if (state.stream) state.stream.close();
  state.stream = null;
  session.signOut();
  state.tables.clear();
  const options = $("options-dialog");
  if (options && options.open) options.close();
  for (const id of ["floor", "legend", "logout", "tab", "live"]) $(id).hidden = true;
  $("signin").replaceChildren(signInForm(session, { title: "Entrar no salão",
                                                    onSignedIn: start }));
  if (message) $("login-error").textContent = message;
}

$("send").addEventListener("click", send);
$("fire").addEventListener("click", fire);
$("bill").addEventListener("click", requestBill);
$("tab-close").addEventListener("click", () => {
  state.open = null;
  $("tab").hidden = true;
});
$("logout").addEventListener("click", () => signOut());
if (session.token) start(); else signOut();
