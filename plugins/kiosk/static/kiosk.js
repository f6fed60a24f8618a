// The self-service kiosk: categories → products (their options in the kit's dialog) → cart →
// name → eat-in or takeaway → PIX QR (polled until paid) or "pay at the counter" → "seu pedido
// nº X"; back to the start when idle. Signed in once with the device's kiosk user (the token
// kept across reboots).
import { $, Session, addTexts, api, chooseOptions, el, fromCents, groupsOf, modifiersOf, money,
         newKey, optionsText, sameOptions, signInForm, t, unitCents, watchIdle }
  from "/ui/kit/index.js";

addTexts({
  "kiosk.signin": "Entrar no totem (usuário do dispositivo)",
  "kiosk.name_required": "Digite seu nome para chamarmos quando estiver pronto.",
  "kiosk.paid": "Pagamento recebido! Seu pedido foi para a cozinha.",
  "kiosk.at_counter": "Vá ao balcão e pague o pedido nº {number}. Depois é só aguardar seu nome.",
  "kiosk.expired": "O tempo para pagar acabou e o pedido foi cancelado.",
  "kiosk.failed": "Não foi possível iniciar o pagamento: {message}",
  "kiosk.call": "Vamos chamar: {name}",
  "kiosk.waiting": "Aguardando o pagamento… (até {time})",
  "kiosk.retry": "Tentar de novo",
  "kiosk.add": "Adicionar {name}, {price}", "kiosk.choose": "escolha as opções",
  "kiosk.less": "Tirar um {name}", "kiosk.more": "Mais um {name}",
});
const POLL_MS = 2000;
const SCREENS = ["welcome", "shop", "details", "pix", "done"];
const session = new Session("kiosk", { persistent: true, onExpired: (m) => signOut(m) });
// The cart: lines of a product with the options chosen (the same product with other options is
// another line), ``count`` units each.
const state = { menu: null, category: null, cart: [], service: "eat_in", key: null,
                order: null, poll: null, idle: null, busy: false };

function show(name) {
  for (const screen of SCREENS) $(screen).hidden = screen !== name;
  $("banner").hidden = true;
}

function banner(message) {
  $("banner").textContent = message;
  $("banner").hidden = !message;
}

// --- the menu and the cart ----------------------------------------------------------------------

function lineCents(line) {
  return unitCents(line.product, line.options) * line.count;
}

function total() {
  return fromCents(state.cart.reduce((sum, line) => sum + lineCents(line), 0));
}

function renderCategories() {
  $("categories").replaceChildren(...state.menu.categories.map((c) => el("button", {
    type: "button", class: "big", "aria-pressed": String(c.category_id === state.category),
    onclick: () => { state.category = c.category_id; renderCategories(); renderProducts(); },
  }, c.name)));
}

function renderProducts() {
  const shown = state.menu.products.filter((p) => p.category_id === state.category);
  $("products").replaceChildren(...shown.map((p) => {
    const options = groupsOf(p).length > 0;
    return el("button", {
      type: "button", class: "product card",
      "aria-label": t("kiosk.add", { name: p.name, price: money(p.price) })
                    + (options ? `, ${t("kiosk.choose")}` : ""),
      onclick: () => tap(p),
    }, p.image_url ? el("img", { src: p.image_url, alt: "" }) : null,
       el("span", { class: "name" }, p.name),
       p.description ? el("span", { class: "muted" }, p.description) : null,
       el("span", { class: "price" }, money(p.price)),
       options ? el("span", { class: "has-options" }, t("kiosk.choose")) : null);
  }));
}

// A product with options asks for them first (the kit's dialog, at the kiosk's size).
async function tap(product) {
  if (!groupsOf(product).length) return add(product, [], 1);
  const options = await chooseOptions(product, { size: "huge" });
  if (options) add(product, options, 1);
}

function add(product, options, delta) {
  let line = state.cart.find((l) => l.product.product_id === product.product_id
                              && sameOptions(l.options, options));
  if (!line) state.cart.push(line = { product, options, count: 0 });
  line.count = Math.min(line.count + delta, 99);
  state.cart = state.cart.filter((l) => l.count > 0);
  state.key = null;  // another cart is another order
  renderCart();
}

function renderCart() {
  const lines = state.cart.map((line) => {
    const { product, options } = line;
    const named = options.length ? `${product.name} (${optionsText(options)})` : product.name;
    return el("li", { dataset: { product: product.name } },
      el("span", { class: "line" }, `${line.count}× ${product.name}`,
         options.length ? el("span", { class: "options-chosen" }, optionsText(options)) : null),
      el("span", { class: "qty" },
        el("button", { type: "button", "aria-label": t("kiosk.less", { name: named }),
                       onclick: () => add(product, options, -1) }, "−"),
        el("button", { type: "button", "aria-label": t("kiosk.more", { name: named }),
                       onclick: () => add(product, options, 1) }, "+")),
      el("span", { class: "line-price" }, money(fromCents(lineCents(line)))));
  });
  $("cart-lines").replaceChildren(...lines);
  $("cart-empty").hidden = lines.length > 0;
  $("cart-total").textContent = money(total());
  $("checkout").disabled = lines.length === 0;
}

// --- placing and paying -------------------------------------------------------------------------

function chooseService(service) {
  state.service = service;
  for (const button of document.querySelectorAll("[data-service]")) {
    button.setAttribute("aria-checked", String(button.dataset.service === service));
  }
}

async function place(payment) {
  const name = $("customer-name").value.trim();
  if (!name) {
    $("name-error").textContent = t("kiosk.name_required");
    $("customer-name").focus();
    return;
  }
  if (state.busy) return;
  state.busy = true;
  // One key per order: a retry after a failed payment start finds the order already placed.
  state.key = state.key || newKey();
  const body = { customer_name: name, service: state.service, payment,
                 items: state.cart.map((line) => ({
                   product_id: line.product.product_id, quantity: line.count,
                   ...(line.options.length ? { modifiers: modifiersOf(line.options) } : {}) })) };
  try {
    follow(await api(session, "/kiosk/orders", { method: "POST", body,
                                                 idempotencyKey: state.key }));
  } catch (error) {
    banner(t("kiosk.failed", { message: error.message }));
  } finally {
    state.busy = false;
  }
}

function follow(order) {
  state.order = order;
  if (order.status === "SENT") return finish(t("kiosk.paid"));
  if (order.status === "AT_COUNTER") return finish(t("kiosk.at_counter", { number: order.order_number }));
  if (order.status === "EXPIRED" || order.status === "FAILED") {
    stopPolling();
    show("done");
    $("done-title").textContent = `Pedido nº ${order.order_number}`;
    $("done-message").textContent = t("kiosk.expired");
    return;
  }
  if ($("pix").hidden) {
    show("pix");
    $("pix-number").textContent = order.order_number;
    $("pix-total").textContent = money(order.total);
    const pix = order.pix || {};
    $("pix-qr").src = pix.encoded_image ? `data:image/png;base64,${pix.encoded_image}` : "";
    $("pix-code").value = pix.payload || "";
    const until = new Date(order.expires_at).toLocaleTimeString("pt-BR",
      { hour: "2-digit", minute: "2-digit" });
    $("pix-status").textContent = t("kiosk.waiting", { time: until });
  }
  stopPolling();
  state.poll = setTimeout(poll, POLL_MS);
}

async function poll() {
  try {
    follow(await api(session, `/kiosk/orders/${state.order.kiosk_order_id}`));
  } catch (error) {
    if (error.status === 401) return;
    state.poll = setTimeout(poll, POLL_MS);  // the network blinked: keep asking
  }
}

function stopPolling() {
  clearTimeout(state.poll);
  state.poll = null;
}

function finish(message) {
  stopPolling();
  show("done");
  $("done-title").replaceChildren("Seu pedido nº ", el("span", { id: "done-number" },
                                                          state.order.order_number));
  $("done-message").replaceChildren(message, el("br"),
                                    t("kiosk.call", { name: state.order.customer_name }));
}

// --- start, idle, sign-in -----------------------------------------------------------------------

function reset() {
  stopPolling();
  Object.assign(state, { cart: [], key: null, order: null, busy: false });
  const dialog = $("options-dialog");  // left open by the last customer
  if (dialog && dialog.open) dialog.close();
  $("customer-name").value = "";
  $("name-error").textContent = "";
  chooseService("eat_in");
  if (state.menu) renderCart();
  show("welcome");
}

async function loadMenu() {
  state.menu = await api(session, "/kiosk/menu");
  state.category = state.menu.categories.length ? state.menu.categories[0].category_id : null;
  $("pay-counter").hidden = !state.menu.settings.pay_at_counter;
  renderCategories();
  renderProducts();
  renderCart();
}

async function begin() {
  try {
    await loadMenu();  // fresh at every customer: prices and what is on sale change
  } catch (error) {
    banner(error.message);
    return;
  }
  show("shop");
}

async function start() {
  $("signin").replaceChildren();
  try {
    await loadMenu();
  } catch (error) {
    if (error.status === 403) signOut(t("session.forbidden", { message: error.message }));
    else if (error.status !== 401) banner(error.message);
    return;
  }
  if (state.idle) state.idle.stop();
  state.idle = watchIdle(state.menu.settings.idle_seconds, () => {
    if (!$("welcome").hidden) return;
    reset();
  });
  reset();
}

function signOut(message = "") {
  stopPolling();
  if (state.idle) state.idle.stop();
  session.signOut();
  for (const screen of SCREENS) $(screen).hidden = true;
  $("signin").replaceChildren(signInForm(session, { title: t("kiosk.signin"), onSignedIn: start }));
  if (message) $("login-error").textContent = message;
}

$("begin").addEventListener("click", begin);
$("cancel").addEventListener("click", reset);
$("checkout").addEventListener("click", () => {
  $("details-total").textContent = money(total());
  show("details");
  $("customer-name").focus();
});
$("back").addEventListener("click", () => show("shop"));
for (const button of document.querySelectorAll("[data-service]")) {
  button.addEventListener("click", () => chooseService(button.dataset.service));
}
$("customer-name").addEventListener("input", () => { $("name-error").textContent = ""; });
$("pay-pix").addEventListener("click", () => place("pix"));
$("pay-counter").addEventListener("click", () => place("counter"));
$("pix-cancel").addEventListener("click", reset);
$("again").addEventListener("click", reset);
if (session.token) start(); else signOut();
