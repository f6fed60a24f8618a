// The products (grid by category, search, barcode) and the cart being built. Drawing is kept
// small: a tap redraws the cart's list and totals only, and a search draws at most SHOWN buttons.
import { $, cents, el, fromCents, groupsOf, modifiersOf, money, optionsText, parseMoney, quantity,
         sameOptions, t, unitCents } from "/ui/kit/index.js";

const SHOWN = 120;
const ALL = "";

export const cart = { lines: [], discount: "0.00", notes: "" };
const catalog = { products: [], byBarcode: new Map(), categories: [], category: ALL, query: "" };
let onAdd = () => {};

// "Pão de queijo" and "pao de queijo" are one search.
function fold(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
}

export function weighed(product) {
  return (product.metadata || {}).unit === "kg";
}

export function setCatalog(products, categories, { add }) {
  onAdd = add;
  catalog.products = products.filter((p) => p.active !== false).map((p) => ({
    ...p, folded: fold(`${p.name} ${(p.metadata || {}).barcode || ""}`) }));
  catalog.byBarcode = new Map(catalog.products.filter((p) => (p.metadata || {}).barcode)
    .map((p) => [String(p.metadata.barcode), p]));
  const used = new Set(catalog.products.map((p) => p.category_id));
  catalog.categories = categories.filter((c) => used.has(c.category_id));
  drawCategories();
  drawProducts();
}

export function byBarcode(code) {
  return catalog.byBarcode.get(code.trim()) || null;
}

export function search(query) {
  catalog.query = fold(query).trim();
  drawProducts();
}

function drawCategories() {
  const tab = (id, name) => el("button", {
    type: "button", "aria-pressed": String(catalog.category === id),
    onclick: () => { catalog.category = id; drawCategories(); drawProducts(); } }, name);
  $("categories").replaceChildren(tab(ALL, t("pos.all")),
    ...catalog.categories.map((c) => tab(c.category_id, c.name)));
}

function visibleProducts() {
  const words = catalog.query.split(/\s+/).filter(Boolean);
  return catalog.products.filter((p) =>
    (words.length ? words.every((w) => p.folded.includes(w))
      : catalog.category === ALL || p.category_id === catalog.category));
}

export function drawProducts() {
  const found = visibleProducts();
  const shown = found.slice(0, SHOWN);
  $("products").replaceChildren(...shown.map((p) => el("button", {
    type: "button", class: "product", dataset: { id: p.product_id },
    "aria-label": `${p.name}, ${money(p.price)}${weighed(p) ? " " + t("pos.per_kg") : ""}`
                  + (groupsOf(p).length ? `, ${t("options.has")}` : ""),
    onclick: () => onAdd(p) },
    el("span", {}, p.name),
    el("small", {}, money(p.price), weighed(p) ? ` ${t("pos.per_kg")}` : "",
       groupsOf(p).length ? ` · ${t("options.tag")}` : ""))));
  const more = $("more");
  more.hidden = found.length <= SHOWN && found.length > 0;
  more.textContent = found.length ? t("pos.more", { count: found.length - SHOWN })
    : t("pos.none_found");
}

// --- the cart -------------------------------------------------------------------------------

// ``options``: those chosen in the product's modifier groups; the same product with other
// options is another line.
export function addLine(product, qty = "1", options = []) {
  const same = !weighed(product)
    && cart.lines.find((l) => l.product.product_id === product.product_id && !l.notes
                        && sameOptions(l.options, options));
  if (same) same.quantity = String(Number(same.quantity) + Number(qty));
  else cart.lines.push({ key: crypto.randomUUID(), product, quantity: String(qty), notes: "",
                         options });
  drawCart();
}

function change(line, delta) {
  const next = Number(line.quantity) + delta;
  if (next <= 0) cart.lines.splice(cart.lines.indexOf(line), 1);
  else line.quantity = String(next);
  drawCart();
}

function askNote(line) {
  const text = prompt(t("pos.note_for", { name: line.product.name }), line.notes);
  if (text === null) return;
  line.notes = text.trim().slice(0, 500);
  drawCart();
}

export function lineTotal(line) {
  return Math.round(unitCents(line.product, line.options) * Number(line.quantity));
}

export function subtotalCents() {
  return cart.lines.reduce((sum, line) => sum + lineTotal(line), 0);
}

export function discountCents() {
  return cents(cart.discount);
}

// What the cart comes to here; the server prices the order again (taxes, fees) and its total wins.
export function estimateCents() {
  return Math.max(0, subtotalCents() - discountCents());
}

function drawLine(line) {
  const name = line.product.name;
  return el("li", { dataset: { key: line.key } },
    el("strong", {}, name),
    el("span", {}, money(fromCents(lineTotal(line)))),
    el("span", { class: "qty" },
      el("button", { type: "button", "aria-label": t("pos.less", { name }),
                     onclick: () => change(line, -1) }, "−"),
      el("output", { "aria-label": t("pos.quantity_of", { name }) },
         weighed(line.product) ? `${quantity(line.quantity)} kg` : quantity(line.quantity)),
      weighed(line.product) ? null : el("button", {
        type: "button", "aria-label": t("pos.more_of", { name }), onclick: () => change(line, 1) },
      "+")),
    el("button", { type: "button", "aria-label": t("pos.note_for", { name }),
                   onclick: () => askNote(line) }, "✎ " + t("pos.note")),
    (line.options || []).length ? el("span", { class: "options-chosen" },
      optionsText(line.options)) : null,
    line.notes ? el("span", { class: "note" }, `“${line.notes}”`) : null);
}

export function drawCart() {
  $("lines").replaceChildren(...cart.lines.map(drawLine));
  $("empty-cart").hidden = cart.lines.length > 0;
  $("subtotal").textContent = money(fromCents(subtotalCents()));
  $("discount-shown").textContent = money(cart.discount);
  $("total").textContent = money(fromCents(estimateCents()));
  $("checkout").disabled = cart.lines.length === 0;
}

export function setDiscount(text) {
  const parsed = text.trim() ? parseMoney(text) : "0.00";
  $("cart-error").textContent = parsed === null ? t("pos.bad_amount") : "";
  cart.discount = parsed ?? "0.00";
  drawCart();
}

export function clearCart() {
  cart.lines = [];
  cart.discount = "0.00";
  cart.notes = "";
  $("discount").value = "";
  $("order-notes").value = "";
  $("cart-error").textContent = "";
  drawCart();
}

// The order's body for POST /orders.
export function orderItems() {
  return cart.lines.map((l) => ({ product_id: l.product.product_id, quantity: l.quantity,
                                  ...(l.notes ? { notes: l.notes } : {}),
                                  ...((l.options || []).length ? {
                                    modifiers: modifiersOf(l.options),
                                  } : {}) }));
}
