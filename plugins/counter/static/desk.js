// The counter's other work: today's orders (status, reprint, cancel with a manager's approval),
// what waits to be sent, and the drawer's shift (open, sangria, suprimento, close with a count).
import { $, api, clock, el, money, newKey, parseMoney, requestToken, t, tokenClaims }
  from "/ui/kit/index.js";
import { explain } from "./checkout.js";
import { button, closeDialog, field, showDialog } from "./dialog.js";

const STATUS = { PENDING: "Aberto", CONFIRMED: "Confirmado", IN_PREPARATION: "Em preparo",
                 READY: "Pronto", DELIVERED: "Entregue", COMPLETED: "Concluído",
                 CANCELLED: "✖ Cancelado" };
const PAYMENT = { PENDING: "A pagar", PARTIALLY_PAID: "Parcial", PAID: "✓ Pago",
                  PARTIALLY_REFUNDED: "Estorno parcial", REFUNDED: "Estornado" };
const CLOSED = new Set(["COMPLETED", "CANCELLED"]);
// Who may approve a cancellation at the counter.
const APPROVERS = new Set(["manager", "admin"]);
let desk = null;  // {session, peripherals, banner}

export function setDesk(session, options) {
  desk = { session, ...options };
}

function midnight() {
  const day = new Date();
  day.setHours(0, 0, 0, 0);
  return day.toISOString();
}

export async function loadToday() {
  const query = new URLSearchParams({ created_from: midnight(), limit: "100" });
  const answer = await api(desk.session, `/orders?${query}`);
  $("orders").replaceChildren(...answer.items.map(orderRow));
}

function orderRow(order) {
  const open = !CLOSED.has(order.status);
  return el("tr", { dataset: { order: order.order_id } },
    el("td", {}, `#${order.order_number}`), el("td", {}, clock(order.created_at)),
    el("td", {}, money(order.total)), el("td", { class: "status" }, STATUS[order.status] || order.status),
    el("td", { class: "payment" }, PAYMENT[order.payment_status] || order.payment_status),
    el("td", {},
      desk.peripherals ? button(t("pos.reprint"), () => reprint(order),
                                { "aria-label": t("pos.reprint_of", { number: order.order_number }) })
        : null,
      open ? button(t("pos.cancel"), () => cancelDialog(order),
                    { "aria-label": t("pos.cancel_of", { number: order.order_number }) }) : null));
}

// What waits in the browser: the sales made while the server was out of reach.
export function drawQueued(requests) {
  const sales = requests.filter((r) => r.path === "/orders" || (r.meta && r.meta.answer));
  $("queued").replaceChildren(...sales.map((r) => el("li", {},
    "◷ ", r.meta && r.meta.answer ? t("pos.queued_payment", { number: r.meta.answer.order_number })
      : t("pos.queued_sale", { time: clock(r.queuedAt), total: money((r.meta || {}).total) }))));
}

async function reprint(order) {
  try {
    const query = new URLSearchParams({ reference_id: order.order_id, kind: "receipt", limit: "1" });
    const jobs = await api(desk.session, `/peripherals/print-jobs?${query}`);
    if (!jobs.print_jobs.length) throw new Error(t("pos.no_receipt"));
    await api(desk.session, `/peripherals/print-jobs/${jobs.print_jobs[0].job_id}/reprint`,
              { method: "POST" });
    desk.banner(t("pos.reprinted", { number: order.order_number }));
  } catch (error) {
    desk.banner(explain(error), true);
  }
}

// A manager signs in on the dialog; their token (never kept) makes the cancel call.
function cancelDialog(order) {
  const [userLabel, user] = field(t("pos.manager_user"), { name: "manager", autocomplete: "off" });
  const [passLabel, pass] = field(t("signin.password"), { name: "manager_password",
                                                          type: "password" });
  const error = el("p", { class: "error", role: "alert" });
  showDialog(t("pos.cancel_title", { number: order.order_number }),
    el("p", {}, t("pos.cancel_note")), userLabel, passLabel, error,
    button(t("pos.cancel_confirm"), async () => {
      error.textContent = "";
      try {
        const manager = await managerSession(user.value, pass.value);
        await api(manager, `/orders/${order.order_id}/status`,
                  { method: "POST", body: { status: "CANCELLED" }, idempotencyKey: newKey() });
        closeDialog();
        desk.banner(t("pos.cancelled", { number: order.order_number }));
        await loadToday();
      } catch (failure) {
        error.textContent = explain(failure);
      }
    }, { id: "cancel-confirm", class: "big primary" }),
    button(t("pos.back"), closeDialog));
}

async function managerSession(username, password) {
  const body = await requestToken({ client_id: desk.session.claims.cid, username, password });
  const roles = (tokenClaims(body.access_token) || {}).roles || [];
  if (!roles.some((role) => APPROVERS.has(role))) throw new Error(t("pos.not_a_manager"));
  return { token: body.access_token, expired() {} };
}

// --- the drawer's shift ---------------------------------------------------------------------

export async function loadShift() {
  desk.shift = (await api(desk.session, "/counter/shifts/current")).shift;
  const chip = $("shift");
  chip.hidden = false;
  chip.classList.toggle("open", Boolean(desk.shift));
  chip.textContent = desk.shift ? t("pos.shift_open", { since: clock(desk.shift.opened_at) })
    : t("pos.shift_closed");
  return desk.shift;
}

export async function shiftDialog() {
  const shift = await loadShift();
  if (!shift) return openShiftDialog();
  const [amountLabel, amount] = field(t("pos.amount"), { name: "movement", inputmode: "decimal" });
  const [reasonLabel, reason] = field(t("pos.reason"), { name: "reason", maxlength: "200" });
  const [countLabel, counted] = field(t("pos.counted"), { name: "counted", inputmode: "decimal" });
  const error = el("p", { class: "error", role: "alert" });
  const call = (path, body, after) => async () => {
    error.textContent = "";
    try {
      const answer = await api(desk.session, `/counter/shifts/${shift.shift_id}/${path}`,
                               { method: "POST", body: body(), idempotencyKey: newKey() });
      await loadShift();
      after(answer);
    } catch (failure) {
      error.textContent = failure.code === "validation_error" ? t("pos.bad_amount")
        : explain(failure);
    }
  };
  const movement = (kind) => call("movements", () => ({
    kind, amount: parseMoney(amount.value) || amount.value, reason: reason.value || null }),
    () => shiftDialog());
  showDialog(t("pos.shift_title"), drawerSummary(shift), amountLabel, reasonLabel,
    el("div", { class: "tenders" },
      button("⬇ " + t("pos.sangria"), movement("sangria"), { id: "sangria" }),
      button("⬆ " + t("pos.suprimento"), movement("suprimento"), { id: "suprimento" })),
    countLabel,
    button(t("pos.close_shift"), call("close", () => ({
      counted_amount: parseMoney(counted.value) || counted.value }), closedDialog),
           { id: "close-shift", class: "big primary" }),
    error, button(t("pos.back"), closeDialog));
}

function drawerSummary(shift) {
  const row = (label, value) => [el("dt", {}, label), el("dd", {}, money(value))];
  return el("dl", { class: "totals", id: "drawer" },
    row(t("pos.opening"), shift.opening_amount), row(t("pos.cash_sales"), shift.cash_tendered),
    row(t("pos.change_given"), shift.change_given), row(t("pos.suprimentos"), shift.suprimentos),
    row(t("pos.sangrias"), shift.sangrias), row(t("pos.expected"), shift.expected_amount));
}

function openShiftDialog() {
  const [label, amount] = field(t("pos.opening"), { name: "opening", inputmode: "decimal" });
  const error = el("p", { class: "error", role: "alert" });
  showDialog(t("pos.open_shift"), label, error,
    button(t("pos.open_shift"), async () => {
      try {
        await api(desk.session, "/counter/shifts", { method: "POST", idempotencyKey: newKey(),
          body: { opening_amount: parseMoney(amount.value) || amount.value } });
        await loadShift();
        closeDialog();
      } catch (failure) {
        error.textContent = failure.code === "validation_error" ? t("pos.bad_amount")
          : explain(failure);
      }
    }, { id: "open-shift", class: "big primary" }),
    button(t("pos.back"), closeDialog));
}

function closedDialog(shift) {
  showDialog(t("pos.shift_closed_title"), drawerSummary(shift),
    el("p", { class: "due", id: "difference" },
       t("pos.difference", { amount: money(shift.difference) })),
    button(t("pos.back"), closeDialog, { class: "big primary" }));
}
