// One modal at a time: a title, its fields and buttons; closed by its buttons or Esc.
import { $, el } from "/ui/kit/index.js";

export function showDialog(title, ...children) {
  const dialog = $("dialog");
  $("dialog-body").replaceChildren(el("h2", { id: "dialog-title" }, title), ...children);
  if (!dialog.open) dialog.showModal();
  const first = dialog.querySelector("input, select, button.primary");
  if (first) first.focus();
  return dialog;
}

export function closeDialog() {
  const dialog = $("dialog");
  if (dialog.open) dialog.close();
}

export function field(label, attrs = {}) {
  const input = el("input", { autocomplete: "off", ...attrs });
  return [el("label", {}, label, input), input];
}

export function button(text, onclick, attrs = {}) {
  return el("button", { type: "button", class: "big", onclick, ...attrs }, text);
}
