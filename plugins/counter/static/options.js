// A product's options ("Ponto da carne": escolha 1; "Adicionais": até 3): one dialog with a big
// button per option, the groups' rules kept as the cashier taps, and the price as it comes to.
// The server checks and prices the choice again; this only keeps the cashier from a refusal.
import { cents, el, fromCents, money, t } from "/ui/kit/index.js";
import { button, closeDialog, showDialog } from "./dialog.js";

// The groups the till may ask (a group with no option left on sale cannot be asked).
export function groupsOf(product) {
  return (product.modifier_groups || []).filter((g) => (g.options || []).length);
}

export function optionsCents(options) {
  return options.reduce((sum, option) => sum + cents(option.price), 0);
}

// "+ Bacon" for an extra that is charged, "Ao ponto" for a choice (as the kitchen reads it).
export function optionLabel(option) {
  return cents(option.price) > 0 ? `+ ${option.name}` : option.name;
}

function rule(group) {
  const { min_choices: min, max_choices: max } = group;
  if (min === max) return t("pos.choose_exactly", { count: min });
  if (min === 0) return t("pos.choose_up_to", { count: max });
  return t("pos.choose_between", { min, max });
}

// Opens the dialog; ``add(options)`` gets the options chosen, in the groups' order.
export function chooseOptions(product, add) {
  const groups = groupsOf(product);
  const picked = new Map(groups.map((g) => [g.modifier_group_id, []]));
  const total = el("p", { class: "due", role: "status", "aria-live": "polite" });
  const confirm = button(t("pos.add_to_order"), () => {
    add(groups.flatMap((g) => g.options.filter((o) => picked.get(g.modifier_group_id)
      .includes(o.option_id))));
    closeDialog();
  }, { id: "options-ok", class: "big primary" });
  const sections = groups.map((group) => {
    const legend = el("legend", {}, group.name, " ",
                      el("small", { class: "rule" }, `(${rule(group)})`));
    const buttons = group.options.map((option) => el("button", {
      type: "button", class: "option", "aria-pressed": "false",
      dataset: { option: option.option_id },
      "aria-label": `${option.name}${cents(option.price) ? `, mais ${money(option.price)}` : ""}`,
      onclick: () => toggle(group, option) },
      el("span", {}, option.name),
      el("small", {}, cents(option.price) ? `+ ${money(option.price)}` : t("pos.no_charge"))));
    return { group, buttons, node: el("fieldset", { class: "option-group",
      dataset: { group: group.modifier_group_id } }, legend, el("div", { class: "options" },
      ...buttons)) };
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
    let ready = true;
    let extra = 0;
    for (const { group, buttons } of sections) {
      const chosen = picked.get(group.modifier_group_id);
      const full = group.max_choices > 1 && chosen.length >= group.max_choices;
      for (const node of buttons) {
        const on = chosen.includes(node.dataset.option);
        node.setAttribute("aria-pressed", String(on));
        node.disabled = full && !on;
        node.querySelector("span").textContent =
          `${on ? "✓ " : ""}${group.options.find((o) => o.option_id === node.dataset.option).name}`;
      }
      ready = ready && chosen.length >= group.min_choices;
      extra += optionsCents(group.options.filter((o) => chosen.includes(o.option_id)));
    }
    total.textContent = t("pos.item_price", { amount: money(fromCents(cents(product.price) +
                                                                      extra)) });
    confirm.disabled = !ready;
  }

  showDialog(product.name, ...sections.map((s) => s.node), total,
             el("div", { class: "actions" }, button(t("pos.back"), closeDialog), confirm));
  draw();
}
