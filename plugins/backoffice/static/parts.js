// Small pieces the back office's sections share: forms, fields, paging through a list.
import { api, el } from "/ui/kit/index.js";

// Every item of a cursor-paged listing (the API gives at most 100 a page).
export async function everything(session, path) {
  const items = [];
  let cursor = null;
  do {
    const join = path.includes("?") ? "&" : "?";
    const page = await api(session, `${path}${join}limit=100${
      cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}

export function field(label, attrs = {}, wide = false) {
  return el("label", { class: wide ? "wide" : null }, label, el("input", attrs));
}

export function select(label, name, options, value = "") {
  return el("label", {}, label, el("select", { name, "aria-label": label },
    options.map(([key, text]) => el("option", { value: key, selected: key === value }, text))));
}

export function card(title, ...children) {
  return el("section", { class: "card" }, el("h2", {}, title), ...children);
}

// A form whose submit runs `onSubmit(FormData)`; the button shows `submit`.
export function form(name, submit, onSubmit, ...fields) {
  const node = el("form", { class: "form", name, "aria-label": submit },
                  ...fields, el("button", { type: "submit", class: "big primary" }, submit));
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    await onSubmit(new FormData(node));
  });
  return node;
}

// "✓ ativo" / "✖ inativo": the word says it, the colour helps.
export function state(on, yes, no) {
  return el("span", { class: `state ${on ? "on" : "off"}` }, on ? `✓ ${yes}` : `✖ ${no}`);
}

// "26,90" or "26.90" → "26.90" (the API's decimal strings).
export function decimal(text) {
  return String(text).trim().replace(/\./g, (dot, at, all) =>
    (all.includes(",") ? "" : dot)).replace(",", ".");
}
