// Taking the money: the order is placed (with an Idempotency-Key), then tenders until it is
// covered — cash with change, PIX through Asaas (QR code, status followed), a card on the store's
// machine. With the server out of reach the sale is queued in the browser, its cash tender too.
import { $, api, cents, el, fromCents, money, newKey, parseMoney, t, unreached }
  from "/ui/kit/index.js";
import { cart, clearCart, estimateCents, orderItems } from "./cart.js";
import { button, closeDialog, field, showDialog } from "./dialog.js";

const PIX_POLL_MS = 2000;
const CARD = "card_terminal";
let sale = null;  // {session, queue, context, done}

export function explain(error) {
  const details = error.details || {};
  const known = { discount_not_allowed: "pos.error.discount", provider_not_configured:
                  "pos.error.pix_off", customer_required: "pos.error.pix_payer" };
  return known[error.code] ? t(known[error.code], { limit: money(details.limit) })
    : error.message;
}

function orderBody(context) {
  const notes = [context.modeNote, cart.notes].filter(Boolean).join(" · ");
  return {
    items: orderItems(), source: "pos", discount: cart.discount,
    ...(notes ? { notes } : {}),
    ...(context.customer ? { customer_id: context.customer.customer_id } : {}),
    ...(context.tableId ? { table_id: context.tableId } : {}),
  };
}

// The change to give, shown as the cashier types what the customer handed over.
function showChange(input, due, line) {
  input.addEventListener("input", () => {
    const given = parseMoney(input.value), owed = due();
    line.textContent = given && owed && cents(given) >= cents(owed)
      ? t("pos.change", { change: money(fromCents(cents(given) - cents(owed))) }) : "";
  });
}

// session, queue: the page's; context(): customer, table, mode; done(order|null): after a sale.
export async function checkout(session, queue, context, done) {
  const body = orderBody(context);
  const key = newKey();
  sale = { session, queue, context, done };
  $("checkout").disabled = true;
  try {
    const order = await api(session, "/orders", { method: "POST", body, idempotencyKey: key });
    await payDialog(order);
  } catch (error) {
    if (unreached(error)) offlineDialog(body, key);
    else $("cart-error").textContent = explain(error);
  } finally {
    $("checkout").disabled = cart.lines.length === 0;
  }
}

// --- online: tenders until the order is covered -----------------------------------------------

async function payDialog(order, note = "") {
  const answer = await api(sale.session, `/orders/${order.order_id}/payments`);
  const outstanding = answer.order.outstanding;
  if (cents(outstanding) <= 0) return finished(order, note);
  const amount = field(t("pos.amount"), { name: "amount", inputmode: "decimal",
                                          value: money(outstanding).replace(/^R\$\s/, "") });
  const received = field(t("pos.received"), { name: "received", inputmode: "decimal" });
  const error = el("p", { class: "error", role: "alert" });
  const changeLine = el("p", { class: "change", "aria-live": "polite" });
  showChange(received[1], () => parseMoney(amount[1].value), changeLine);
  const tender = (method) => async () => {
    error.textContent = "";
    const due = parseMoney(amount[1].value);
    if (!due || cents(due) <= 0) { error.textContent = t("pos.bad_amount"); return; }
    try {
      await takeTender(order, method, due, parseMoney(received[1].value), error);
    } catch (failure) {
      error.textContent = explain(failure);
    }
  };
  showDialog(t("pos.pay_order", { number: order.order_number }),
    el("p", {}, t("pos.total"), " ", el("strong", {}, money(order.total))),
    el("p", { class: "due", id: "outstanding" }, t("pos.outstanding", { amount: money(outstanding) })),
    note ? el("p", { class: "status-ok", role: "status" }, note) : null,
    amount[0], received[0], changeLine,
    el("div", { class: "tenders", role: "group", "aria-label": t("pos.tenders") },
      button(t("pos.cash"), tender("cash"), { id: "pay-cash", class: "big primary" }),
      button("◈ PIX", tender("pix"), { id: "pay-pix" }),
      button(t("pos.debit"), tender("debit_card"), { id: "pay-debit" }),
      button(t("pos.credit"), tender("credit_card"), { id: "pay-credit" })),
    error,
    button(t("pos.pay_later"), () => finished(order, ""), { id: "pay-later" }));
}

async function takeTender(order, method, due, received, error) {
  const body = { method, amount: due };
  if (method === "cash") body.amount = received && cents(received) >= cents(due) ? received : due;
  if (method.endsWith("_card")) body.provider = CARD;
  if (method === "pix" && sale.context.payer) body.customer = sale.context.payer;
  const payment = await api(sale.session, `/orders/${order.order_id}/payments`,
                            { method: "POST", body, idempotencyKey: newKey() });
  if (method === "pix" && payment.status === "PENDING") return pixDialog(order, payment);
  if (payment.status !== "CONFIRMED") {
    error.textContent = t("pos.tender_failed", { status: payment.status });
    return null;
  }
  const change = cents(payment.change_due) > 0
    ? t("pos.change", { change: money(payment.change_due) }) : t("pos.paid", { amount: money(payment.amount) });
  return payDialog(order, change);
}

// The QR code from Asaas, and its status asked every PIX_POLL_MS until paid or given up.
function pixDialog(order, payment) {
  const pix = (payment.details || {}).pix || {};
  const status = el("p", { id: "pix-status", role: "status", "aria-live": "polite" },
                    t("pos.pix_waiting"));
  let timer = null;
  const stop = () => clearTimeout(timer);
  const poll = async () => {
    try {
      const now = await api(sale.session, `/payments/${payment.payment_id}/refresh`,
                            { method: "POST" });
      if (now.status === "CONFIRMED") return payDialog(order, t("pos.pix_paid"));
      if (["FAILED", "CANCELLED"].includes(now.status)) {
        status.textContent = t("pos.tender_failed", { status: now.status });
        return null;
      }
    } catch (error) {
      status.textContent = explain(error);
    }
    timer = setTimeout(poll, PIX_POLL_MS);
    return null;
  };
  showDialog(t("pos.pix_title", { amount: money(payment.amount) }),
    pix.encoded_image ? el("img", { class: "qr", alt: t("pos.pix_qr"),
                                    src: `data:image/png;base64,${pix.encoded_image}` }) : null,
    pix.payload ? el("label", {}, t("pos.pix_copy"),
                     el("input", { readonly: true, value: pix.payload })) : null,
    status,
    button(t("pos.pix_cancel"), async () => {
      stop();
      await api(sale.session, `/payments/${payment.payment_id}/cancel`, { method: "POST" })
        .catch(() => null);
      payDialog(order);
    }, { id: "pix-cancel" }));
  timer = setTimeout(poll, PIX_POLL_MS);
}

function finished(order, note) {
  closeDialog();
  clearCart();
  sale.done(order, note);
}

// --- offline: the sale and its cash tender wait in the browser --------------------------------

function offlineDialog(body, key) {
  const estimate = fromCents(estimateCents());
  const received = field(t("pos.received"), { name: "received", inputmode: "decimal",
                                              value: money(estimate).replace(/^R\$\s/, "") });
  const changeLine = el("p", { class: "change", "aria-live": "polite" });
  const error = el("p", { class: "error", role: "alert" });
  const queueIt = async (paid) => {
    const given = parseMoney(received[1].value);
    if (paid && (!given || cents(given) < cents(estimate))) {
      error.textContent = t("pos.bad_amount");
      return;
    }
    const then = paid ? [{ path: "/orders/{order_id}/payments",
                           body: { method: "cash", amount: given }, idempotencyKey: newKey() }]
      : [];
    const meta = { total: estimate, items: body.items.length, queuedAt: new Date().toISOString(),
                   change: paid ? fromCents(cents(given) - cents(estimate)) : null };
    await sale.queue.enqueue({ path: "/orders", body, idempotencyKey: key, then, meta });
    finished(null, paid ? t("pos.change", { change: money(meta.change) }) : "");
  };
  showChange(received[1], () => estimate, changeLine);
  showDialog(t("pos.offline_title"),
    el("p", { class: "banner", role: "status" }, t("pos.offline_note")),
    el("p", { class: "due" }, t("pos.outstanding", { amount: money(estimate) })),
    received[0], changeLine, error,
    el("div", { class: "tenders" },
      button(t("pos.cash_offline"), () => queueIt(true),
             { id: "offline-cash", class: "big primary" }),
      button(t("pos.pay_later"), () => queueIt(false), { id: "offline-later" })));
}
