// The menu's options, "Opções / Adicionais" (the catalog's /api/v1/modifier-groups): a group such
// as "Ponto da carne" (escolha 1) or "Adicionais" (até 2, each at a price) is made once and asked
// by every product that names it, in the product's order. An option keeps its id when the group
// is edited, so the orders and screens that name it still find it.
import { api, el, money, t, table } from "/ui/kit/index.js";
import {
  card, clearMarks, decimal, deleteButton, field, form, state, submit, whole,
} from "./parts.js";

export const GROUPS = "/modifier-groups";

// The group's rule in the kit's words, as the cashier's dialog says it, and whether it must be
// answered: "escolha 1 (obrigatório)", "até 3 (opcional)".
export function rule(min, max) {
  if (!Number.isInteger(min) || !Number.isInteger(max)) return "";
  if (min > max) return `o mínimo (${min}) passa do máximo (${max})`;
  const said = min === max ? t("options.exactly", { count: min })
    : min === 0 ? t("options.up_to", { count: max }) : t("options.between", { min, max });
  return `${said} (${min === 0 ? "opcional" : "obrigatório"})`;
}

function ruleOf(group) {
  return rule(group.min_choices, group.max_choices);
}

// "Ponto da carne, Adicionais": the groups a product asks, as its list shows them.
export function groupNames(product) {
  const groups = product.modifier_groups || [];
  return groups.length ? groups.map((g) => (g.active ? g.name : `${g.name} (inativo)`))
    .join(", ") : "—";
}

// --- rows a finger puts in order ----------------------------------------------------------------

// ↑ and ↓ buttons that move `row` among its siblings, then call `moved()`; `what()` names the
// row for a screen reader ("opção 2").
function mover(row, what, moved) {
  const move = (up) => {
    const other = up ? row.previousElementSibling : row.nextElementSibling;
    if (!other) return;
    other.insertAdjacentElement(up ? "beforebegin" : "afterend", row);
    moved();
    row.querySelector(`button.${up ? "up" : "down"}`)?.focus();
  };
  return [
    el("button", { type: "button", class: "up", "aria-label": `Subir ${what()}`,
                   title: "Subir", onclick: () => move(true) }, "↑"),
    el("button", { type: "button", class: "down", "aria-label": `Descer ${what()}`,
                   title: "Descer", onclick: () => move(false) }, "↓")];
}

// After a move: the first row cannot go up, the last cannot go down.
function edges(list) {
  const rows = [...list.children];
  rows.forEach((row, index) => {
    const up = row.querySelector("button.up");
    const down = row.querySelector("button.down");
    if (up) up.disabled = index === 0;
    if (down) down.disabled = index === rows.length - 1;
  });
}

// --- the group's options ------------------------------------------------------------------------

// One option's row: name, price, active, order, remove. Its inputs are named as the API's body
// (options.0.name …), so a 422 about an option is marked next to its field; they are renamed
// whenever the rows move.
function optionRow(option, renumber) {
  const row = el("div", { class: "option-row" });
  const number = () => (row.parentNode ? [...row.parentNode.children].indexOf(row) + 1 : "");
  const price = option ? String(option.price).replace(".", ",") : "";
  row.append(
    el("label", { class: "wide" }, el("span", { class: "label" }, "Opção"),
       el("input", { dataset: { part: "name" }, required: true, maxlength: 50,
                     value: option?.name, autocomplete: "off" }),
       el("input", { type: "hidden", dataset: { part: "option_id" },
                     value: option?.option_id || "" })),
    el("label", {}, el("span", { class: "label" }, "Preço (R$)"),
       el("input", { dataset: { part: "price" }, inputmode: "decimal", size: 8, value: price,
                     placeholder: "0,00",
                     title: `de 0,00 a 9999,99 (0,00: ${t("options.no_charge")})` })),
    el("label", {}, "Ativa", el("input", { type: "checkbox", dataset: { part: "active" },
                                           checked: option ? option.active : true })),
    el("span", { class: "actions" },
       ...mover(row, () => `opção ${number()}`, renumber),
       el("button", { type: "button", class: "danger remove", onclick: () => {
         const list = row.parentNode;
         row.remove();
         renumber(list);
       } }, "Remover")));
  return row;
}

function optionsEditor(options) {
  const list = el("div", { class: "option-list" });
  const renumber = () => {
    clearMarks(list.closest("form") || list);  // a mark would name a row that moved
    const rows = [...list.children];
    rows.forEach((row, index) => {
      const n = index + 1;
      for (const input of row.querySelectorAll("[data-part]")) {
        input.name = `options.${index}.${input.dataset.part}`;
      }
      const name = row.querySelector("[data-part=name]");
      row.querySelector(".label").textContent = `Opção ${n}`;
      name.setAttribute("aria-label", `Nome da opção ${n}`);
      row.querySelector("[data-part=price]").setAttribute("aria-label", `Preço da opção ${n} (R$)`);
      row.querySelector("[data-part=active]").setAttribute("aria-label", `Opção ${n} ativa`);
      row.querySelector("button.up").setAttribute("aria-label", `Subir opção ${n}`);
      row.querySelector("button.down").setAttribute("aria-label", `Descer opção ${n}`);
      const remove = row.querySelector("button.remove");
      remove.setAttribute("aria-label", `Remover opção ${n}`);
      remove.disabled = rows.length === 1;  // a group has at least one option
    });
    edges(list);
  };
  list.append(...(options.length ? options : [null]).map((o) => optionRow(o, renumber)));
  renumber();
  return el("fieldset", { class: "options-editor" },
    el("legend", {}, "Opções"),
    el("p", { class: "muted" }, "Desmarque “Ativa” para tirar uma opção da venda sem apagá-la. " +
       "Pedidos já feitos guardam o nome e o preço com que foram vendidos."),
    list,
    el("button", { type: "button", onclick: () => {
      const row = optionRow(null, renumber);
      list.append(row);
      renumber();
      row.querySelector("input").focus();
    } }, "+ Adicionar opção"));
}

function readOptions(data, count) {
  return Array.from({ length: count }, (_, index) => {
    const at = (part) => data.get(`options.${index}.${part}`);
    const price = String(at("price") || "").trim();
    return { ...(at("option_id") ? { option_id: at("option_id") } : {}),
             name: at("name"), price: price ? decimal(price.replace(/^R\$\s*/, "")) : "0",
             active: at("active") === "on" };
  });
}

// --- the group ----------------------------------------------------------------------------------

function groupForm(page, group = null) {
  const low = field("Mínimo de escolhas", { name: "min_choices", required: true, size: 4,
    inputmode: "numeric", value: group?.min_choices ?? 0,
    title: "0 a 50; 0 deixa o grupo opcional, 1 ou mais o torna obrigatório" });
  const high = field("Máximo de escolhas", { name: "max_choices", required: true, size: 4,
    inputmode: "numeric", value: group?.max_choices ?? 1,
    title: "1 a 50, e não menos que o mínimo" });
  const said = el("output", { class: "rule", "aria-live": "polite" });
  const explain = () => {
    const text = rule(whole(low.querySelector("input").value),
                      whole(high.querySelector("input").value));
    said.textContent = text ? `Na venda: ${text}` : "Mínimo e máximo são números inteiros";
  };
  for (const node of [low, high]) node.querySelector("input").addEventListener("input", explain);
  explain();
  const options = optionsEditor(group?.options || []);
  return form(group ? "group-edit" : "group-new",
              group ? "Salvar grupo" : "Adicionar grupo", async (data, node) => {
    const body = {
      name: data.get("name"),
      min_choices: whole(data.get("min_choices")),
      max_choices: whole(data.get("max_choices")),
      options: readOptions(data, node.querySelectorAll(".option-row").length),
    };
    const path = group ? `${GROUPS}/${group.modifier_group_id}` : GROUPS;
    const done = `Grupo “${body.name}” salvo`;
    if (await submit(page, node, () => api(page.session, path, {
      method: group ? "PATCH" : "POST", body }), done)) await page.reload(done);
  },
  field("Nome do grupo", { name: "name", required: true, maxlength: 50, value: group?.name,
                           placeholder: "ex.: Ponto da carne" }, true),
  low, high, el("p", { class: "rule-said" }, said), options);
}

function optionsShown(group) {
  const price = (o) => (Number(o.price) ? money(o.price) : t("options.no_charge"));
  return group.options.map((o) => `${o.name} ${price(o)}${o.active ? "" : " (inativa)"}`)
    .join(" · ");
}

function groupTable(page, groups, products, edit) {
  const askedBy = (group) => products.filter((p) => (p.modifier_groups || []).some(
    (g) => g.modifier_group_id === group.modifier_group_id)).map((p) => p.name);
  return table([{ title: "Grupo" }, { title: "Regra na venda" }, { title: "Opções" },
                { title: "Produtos" }, { title: "Situação" }, { title: "Ações" }],
    groups.map((g) => ({ attrs: { dataset: { group: g.name } }, cells: [
      g.name, ruleOf(g), optionsShown(g), askedBy(g).join(", ") || "—",
      state(g.active, "ativo", "inativo"),
      el("span", { class: "actions" },
         el("button", { type: "button", onclick: () => edit(card(`Editar grupo ${g.name}`,
                                                                 groupForm(page, g))) },
            "Editar"),
         g.active ? deleteButton(page, "Desativar", `Desativar o grupo ${g.name}? Os produtos ` +
                                 "deixam de perguntá-lo; pedidos já feitos não mudam.",
                                 `${GROUPS}/${g.modifier_group_id}`, `Grupo ${g.name} desativado`)
           : el("button", { type: "button", onclick: async () => {
             const done = `Grupo ${g.name} ativado`;
             if (await page.act(() => api(page.session, `${GROUPS}/${g.modifier_group_id}`, {
               method: "PATCH", body: { active: true } }), done)) await page.reload(done);
           } }, "Ativar"))] })),
    { id: "groups" });
}

// The section's card: what a group is, the form for a new one and the list.
export function section(page, groups, products, edit) {
  return card("Opções / Adicionais",
    el("p", { class: "muted" }, "Perguntas que o caixa, o garçom e o totem fazem ao vender um " +
       "produto: “Ponto da carne” (escolha 1), “Adicionais” (até 2, cada um com seu preço). " +
       "Crie o grupo aqui e escolha, no produto, quais grupos ele pergunta."),
    groupForm(page), groupTable(page, groups, products, edit));
}

// --- in the product's editor --------------------------------------------------------------------

// The groups a product asks, in order: the chosen ones first (ticked, in the product's order),
// then the store's other active groups. Ticked boxes are sent in the rows' order.
export function chooser(groups, product = null) {
  const chosen = (product?.modifier_groups || []).map((g) => g.modifier_group_id);
  const rows = [...(product?.modifier_groups || []),
                ...groups.filter((g) => g.active && !chosen.includes(g.modifier_group_id))];
  const list = el("div", { class: "group-list" });
  const moved = () => edges(list);
  list.append(...rows.map((g) => {
    const row = el("div", { class: "group-row" });
    row.append(
      el("label", {}, el("input", { type: "checkbox", name: "modifier_group_ids",
                                    value: g.modifier_group_id,
                                    checked: chosen.includes(g.modifier_group_id) }),
         g.active ? g.name : `${g.name} (inativo)`,
         el("small", { class: "muted" }, ` · ${ruleOf(g)}`)),
      el("span", { class: "actions" }, ...mover(row, () => `o grupo ${g.name}`, moved)));
    return row;
  }));
  moved();
  return el("fieldset", { class: "groups wide" },
    el("legend", {}, "Opções que o produto pergunta, nesta ordem"),
    rows.length ? list : el("span", { class: "muted" }, "nenhum grupo: crie um em " +
                                                          "“Opções / Adicionais”"));
}
