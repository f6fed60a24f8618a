// The cashier's screen: sign in, sell (products, cart, customer, tenders), follow today's orders
// and the drawer. Plain ES modules on the shared kit; no build, no CDN. Sales made while the
// server is out of reach wait in IndexedDB (the kit's OfflineQueue) and go out when it is back.
import { $, OfflineQueue, Session, api, chooseOptions, el, groupsOf, loadedPlugins, signInForm,
         t } from "/ui/kit/index.js";
import "./texts.js";
import { addLine, byBarcode, clearCart, drawCart, search, setCatalog, setDiscount, weighed,
         cart } from "./cart.js";
import { checkout, explain } from "./checkout.js";
import { buyer, clearCustomer, setCustomerSession } from "./customer.js";
import { button, closeDialog, field, showDialog } from "./dialog.js";
import { drawQueued, loadShift, loadToday, setDesk, shiftDialog } from "./desk.js";

const MODES = ["counter", "takeaway", "delivery", "table"];
const NOTES = { takeaway: "Para viagem", delivery: "Entrega" };
const state = { mode: "counter", tables: [], scales: [], peripherals: false };
const session = new Session("pos", { onExpired: (message) => signOut(message) });
const queue = new OfflineQueue(session, { onChange: queueChanged });
window.posQueue = queue;  // for the offline tests and the bench

function banner(message, bad = false) {
  const node = $("banner");
  node.textContent = message;
  node.hidden = !message;
  node.classList.toggle("bad", bad);
}

// Only the plugins this server runs are asked (a missing route would be a 404 on the console).
async function optional(plugin, path, plugins) {
  return plugins.has(plugin) ? api(session, path) : null;
}

async function queueChanged(pending, refused = [], sent = []) {
  const chip = $("pending");
  chip.hidden = pending === 0;
  chip.textContent = t("pos.pending", { count: pending });
  drawQueued(await queue.list());
  if (refused.length) banner(t("pos.refused", { message: explain(refused[0].error) }), true);
  if (sent.length && session.token) {
    if (!refused.length) banner(t("pos.sent", { count: sent.length }));
    await Promise.all([loadToday(), loadShift()]).catch(() => null);
  }
}

// --- the sale -------------------------------------------------------------------------------

async function weigh(product) {
  const [label, input] = field(t("pos.weight", { name: product.name }),
                               { name: "weight", inputmode: "decimal" });
  const note = el("p", { role: "status" });
  const add = () => {
    const kg = Number(String(input.value).replace(",", "."));
    if (!(kg > 0)) { note.textContent = t("pos.bad_amount"); return; }
    addLine(product, kg.toFixed(3));
    closeDialog();
  };
  showDialog(product.name, label, note, button("✓", add, { id: "weight-ok", class: "big primary" }),
             button(t("pos.back"), closeDialog));
  if (!state.scales.length) return;
  note.textContent = t("pos.weighing");
  try {
    const read = await api(session, `/peripherals/scales/${state.scales[0].scale_id}/weight`);
    input.value = read.weight_kg;
    note.textContent = "";
  } catch (error) {
    note.textContent = t("pos.scale_failed", { message: explain(error) });
  }
}

function tap(product) {
  if (weighed(product)) weigh(product);
  else if (groupsOf(product).length) {
    // The kit's options dialog, drawn in the page's own so one modal shows at a time.
    chooseOptions(product, { dialog: $("dialog") })
      .then((options) => { if (options) addLine(product, "1", options); });
  }
  else addLine(product);
}

function drawModes() {
  $("mode").replaceChildren(...MODES.filter((m) => m !== "table" || state.tables.length)
    .map((mode) => el("button", {
      type: "button", "aria-pressed": String(state.mode === mode), dataset: { mode },
      onclick: () => { state.mode = mode; drawModes(); } }, t(`pos.mode.${mode}`))));
  $("table-field").hidden = state.mode !== "table";
}

function context() {
  const tableId = state.mode === "table" ? $("table").value || null : null;
  return { customer: buyer.customer, payer: buyer.payer, tableId, modeNote: NOTES[state.mode] };
}

function sold(order, note) {
  clearCustomer();
  banner([order ? t("pos.sold", { number: order.order_number }) : t("pos.sold_offline"), note]
    .filter(Boolean).join(" · "));
  if (order) loadToday().catch(() => null);
  loadShift().catch(() => null);
}

function wire() {
  $("search").addEventListener("input", (event) => search(event.target.value));
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const code = $("search").value.trim();
    const product = byBarcode(code);
    if (product) {
      tap(product);
      $("search").value = "";
      search("");
    } else if (code) {
      banner(t("pos.unknown_barcode", { code }), true);
    }
  });
  $("discount").addEventListener("change", (event) => setDiscount(event.target.value));
  $("order-notes").addEventListener("change", (event) => { cart.notes = event.target.value; });
  $("clear").addEventListener("click", () => { clearCart(); clearCustomer(); });
  $("checkout").addEventListener("click", () => checkout(session, queue, context(), sold));
  $("shift").addEventListener("click", () => shiftDialog().catch((e) => banner(explain(e), true)));
  $("today-toggle").addEventListener("click", () => {
    $("today").hidden = !$("today").hidden;
    if (!$("today").hidden) $("today").scrollIntoView();
  });
  $("logout").addEventListener("click", () => signOut());
}

// --- signing in and out ---------------------------------------------------------------------

async function start() {
  $("signin").replaceChildren();
  const claims = session.claims || {};
  $("user").textContent = claims.name || "";
  for (const id of ["sale", "logout", "today-toggle"]) $(id).hidden = false;
  // Everything at once: the menu, which plugins run, the drawer, today's orders.
  const menuCall = api(session, "/counter/menu");
  const plugins = await loadedPlugins();
  state.peripherals = plugins.has("peripherals");
  setDesk(session, { peripherals: state.peripherals, banner });
  const deskCalls = Promise.all([loadShift(), loadToday(), queue.pending().then(queueChanged)]);
  const [menu, tables, scales] = await Promise.all([
    menuCall, optional("waiter", "/waiter/tables", plugins),
    optional("peripherals", "/peripherals/scales", plugins)]);
  state.tables = tables ? tables.items : [];
  state.scales = scales ? scales.scales : [];
  $("table").replaceChildren(...state.tables.map((tb) => el("option", { value: tb.table_id },
    `${t("pos.mode.table")} ${tb.table_number}`)));
  setCatalog(menu.products, menu.categories, { add: tap });
  setCustomerSession(session);
  drawModes();
  drawCart();
  await deskCalls;
  queue.flush();
  $("search").focus();
  document.body.dataset.ready = "true";
  window.posReadyAt = performance.now();  // since navigation: the bench reads it
}

function showSignIn(note = "") {
  for (const id of ["sale", "today", "logout", "today-toggle", "shift"]) $(id).hidden = true;
  $("signin").replaceChildren(signInForm(session, { title: t("pos.shift_title"), note,
    onSignedIn: () => start().catch((e) => banner(explain(e), true)) }));
}

function signOut(message = "") {
  session.signOut();
  delete document.body.dataset.ready;
  showSignIn(message);
}

wire();
if (session.token) start().catch((error) => banner(explain(error), true));
else showSignIn();
