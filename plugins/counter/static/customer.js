// The sale's customer, found by CPF or phone, or created on the spot with a name.
import { $, api, el, t } from "/ui/kit/index.js";
import { explain } from "./checkout.js";
import { button } from "./dialog.js";

export const buyer = { customer: null, payer: null };
let session = null;

function digits(text) {
  return String(text || "").replace(/\D/g, "");
}

// 11 digits may be a CPF or a mobile phone: a CPF's check digits tell.
export function isCpf(text) {
  const d = digits(text);
  if (d.length !== 11 || /^(\d)\1+$/.test(d)) return false;
  const check = (size) => {
    const sum = [...d.slice(0, size)].reduce((s, c, i) => s + Number(c) * (size + 1 - i), 0);
    return ((sum * 10) % 11) % 10 === Number(d[size]);
  };
  return check(9) && check(10);
}

export function setCustomerSession(value) {
  session = value;
  drawCustomer();
}

export function clearCustomer() {
  buyer.customer = null;
  buyer.payer = null;
  drawCustomer();
}

function choose(customer, cpf) {
  buyer.customer = customer;
  buyer.payer = cpf ? { name: customer.name, cpf_cnpj: digits(cpf) } : null;
  drawCustomer();
}

async function find(text, error) {
  const cpf = isCpf(text);
  const query = new URLSearchParams(cpf ? { document: digits(text) } : { phone: text.trim() });
  const found = await api(session, `/customers?${query}`);
  if (found.items.length) return choose(found.items[0], cpf ? text : null);
  const name = el("input", { id: "customer-name", "aria-label": t("pos.customer_new"),
                             placeholder: t("pos.customer_new"), maxlength: "100" });
  $("customer").replaceChildren(name, button(t("pos.create"), async () => {
    try {
      const body = { name: name.value.trim(),
                     ...(cpf ? { document_number: digits(text), document_type: "CPF" }
                       : { phone: text.trim() }) };
      choose(await api(session, "/customers", { method: "POST", body }), cpf ? text : null);
    } catch (failure) {
      error.textContent = explain(failure);
      $("customer").append(error);
    }
  }, { id: "customer-create" }), error);
  name.focus();
  return null;
}

export function drawCustomer() {
  const box = $("customer");
  if (buyer.customer) {
    box.replaceChildren(el("strong", { id: "customer-chosen" }, buyer.customer.name),
      button(t("pos.remove_customer"), clearCustomer));
    return;
  }
  const error = el("span", { class: "error", role: "alert" });
  const input = el("input", { id: "customer-key", inputmode: "tel", autocomplete: "off",
                              "aria-label": t("pos.customer"), placeholder: t("pos.customer") });
  const go = async () => {
    error.textContent = "";
    if (digits(input.value).length < 8) return;
    try {
      await find(input.value, error);
    } catch (failure) {
      error.textContent = explain(failure);
    }
  };
  input.addEventListener("keydown", (event) => { if (event.key === "Enter") go(); });
  box.replaceChildren(input, button(t("pos.find"), go, { id: "customer-find" }), error);
}
