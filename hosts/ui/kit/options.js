// A product's options ("Ponto da carne": escolha 1; "Adicionais": até 3), chosen on a touch
// screen by a cashier, a kiosk customer or a waiter: one dialog with a big button per option,
// each group's rule kept as the person taps, and the item's price as it comes to. The server
// checks and prices the choice again; this only spares the person a refusal.
//
//   const options = await chooseOptions(product);           // null: closed without choosing
//   if (options) addLine(product, options);                 // then modifiersOf(options) in POST
//
// ``product.modifier_groups`` as the till's and the kiosk's menus give it, or as the catalog's
// product list does (inactive groups and options left out here).
import { el } from "./dom.js";
import { cents, fromCents, money } from "./format.js";
import { t } from "./i18n.js";

// The groups a page may ask: active ones with an option still on sale (one with none left
// cannot be asked).
export function groupsOf(product) {
  return (product.modifier_groups || [])
    .filter((group) => group.active !== false)
    .map((group) => ({ ...group, options: (group.options || []).filter((o) => o.active !== false) }))
    .filter((group) => group.options.length);
}

export function optionsCents(options = []) {
  return options.reduce((sum, option) => sum + cents(option.price), 0);
}

// The price of one unit with its options, in cents.
export function unitCents(product, options = []) {
  return cents(product.price) + optionsCents(options);
}

// "+ Bacon" for an extra that is charged, "Ao ponto" for a choice (as the kitchen reads it).
export function optionLabel(option) {
  return cents(option.price) > 0 ? `+ ${option.name}` : option.name;
}

// A line's options in one text: "Ao ponto · + Bacon" (an order item's ``modifiers`` too).
export function optionsText(options = []) {
  return options.map(optionLabel).join(" · ");
}

// What an order item sends: ``modifiers: [{option_id}]``.
export function modifiersOf(options = []) {
  return options.map((option) => ({ option_id: option.option_id }));
}

// Two lines of the same product are one line when they chose the same options.
export function sameOptions(a = [], b = []) {
  return a.map((o) => o.option_id).join() === b.map((o) => o.option_id).join();
}

function rule(group) {
  const { min_choices: min, max_choices: max } = group;
  if (min === max) return t("options.exactly", { count: min });
  if (min === 0) return t("options.up_to", { count: max });
  return t("options.between", { min, max });
}

let shared = null;  // the kit's own dialog, for a page that has none
let pending = null;  // the choice on screen: a new one ends it unanswered

function ownDialog() {
  if (!shared) {
    shared = el("dialog", { id: "options-dialog", class: "options-dialog" },
                el("form", { method: "dialog" }));
    document.body.append(shared);
  }
  return shared;
}

// Opens the dialog for ``product``; resolves to the options chosen, in the groups' order, or
// null when closed (Voltar, Esc). Settings:
//   dialog   a <dialog> of the page to draw in (into its <form> when it has one), so a page
//            with its own modal shows one at a time; default: the kit's own
//   size     "big" (a counter, a tablet) or "huge" (a kiosk read standing up)
//   confirm  the confirming button's text (default "Adicionar ao pedido")
export function chooseOptions(product, { dialog = ownDialog(), size = "big",
                                         confirm: confirmText = t("options.add") } = {}) {
  if (pending) pending(null);
  const groups = groupsOf(product);
  const picked = new Map(groups.map((g) => [g.modifier_group_id, []]));
  const titleId = `${dialog.id || "options-dialog"}-title`;
  const total = el("p", { class: "due", role: "status", "aria-live": "polite" });
  const missing = el("p", { class: "options-missing", "aria-live": "polite" });
  const buttonClass = size === "huge" ? "huge" : "big";
  let finish;
  const answered = new Promise((resolve) => {
    finish = (options) => {
      if (pending !== finish) return;
      pending = null;
      dialog.removeEventListener("close", unanswered);
      resolve(options);
    };
  });
  const unanswered = () => finish(null);
  pending = finish;
  const close = (options) => {
    finish(options);
    if (dialog.open) dialog.close();
  };
  const confirm = el("button", {
    type: "button", id: "options-ok", class: `${buttonClass} primary`,
    onclick: () => close(groups.flatMap((g) => g.options.filter(
      (o) => picked.get(g.modifier_group_id).includes(o.option_id)))) }, confirmText);
  const back = el("button", { type: "button", class: buttonClass, onclick: () => close(null) },
                  t("options.back"));

  const sections = groups.map((group) => {
    const buttons = group.options.map((option) => el("button", {
      type: "button", class: "option", "aria-pressed": "false",
      dataset: { option: option.option_id },
      "aria-label": cents(option.price)
        ? `${option.name}, ${t("options.plus", { amount: money(option.price) })}` : option.name,
      onclick: () => toggle(group, option) },
      el("span", { class: "option-name" }, option.name),
      el("small", {}, cents(option.price) ? `+ ${money(option.price)}` : t("options.no_charge"))));
    const node = el("fieldset", { class: "option-group", dataset: { group: group.modifier_group_id } },
      el("legend", {}, group.name, " ", el("small", { class: "rule" }, `(${rule(group)})`)),
      el("div", { class: "options" }, ...buttons));
    return { group, buttons, node };
  });

  function toggle(group, option) {
    const chosen = picked.get(group.modifier_group_id);
    const at = chosen.indexOf(option.option_id);
    if (at >= 0) chosen.splice(at, 1);
    else if (group.max_choices === 1) chosen.splice(0, chosen.length, option.option_id);
    else if (chosen.length < group.max_choices) chosen.push(option.option_id);
    draw();
  }

  function draw() {
    let extra = 0;
    const waiting = [];  // required groups not answered yet
    for (const { group, buttons } of sections) {
      const chosen = picked.get(group.modifier_group_id);
      const full = group.max_choices > 1 && chosen.length >= group.max_choices;
      for (const node of buttons) {
        const on = chosen.includes(node.dataset.option);
        node.setAttribute("aria-pressed", String(on));
        node.disabled = full && !on;
        const { name } = group.options.find((o) => o.option_id === node.dataset.option);
        node.querySelector(".option-name").textContent = `${on ? "✓ " : ""}${name}`;
      }
      if (chosen.length < group.min_choices) waiting.push(group.name);
      extra += optionsCents(group.options.filter((o) => chosen.includes(o.option_id)));
    }
    total.textContent = t("options.item_price", {
      amount: money(fromCents(cents(product.price) + extra)) });
    missing.textContent = waiting.length ? t("options.missing", { groups: waiting.join(", ") })
      : "";
    confirm.disabled = waiting.length > 0;
  }

  const body = dialog.querySelector("form") || dialog;
  dialog.setAttribute("aria-labelledby", titleId);
  body.replaceChildren(el("h2", { id: titleId }, product.name),
    el("div", { class: `options-chooser ${size}` }, ...sections.map((s) => s.node), total,
       missing, el("div", { class: "options-actions" }, back, confirm)));
  draw();
  dialog.addEventListener("close", unanswered);
  if (!dialog.open) dialog.showModal();
  const first = body.querySelector("button.option");
  if (first) first.focus();
  return answered;
}
