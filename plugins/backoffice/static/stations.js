// The kitchen stations (the kds plugin's /api/v1/kds/stations): which screen makes what. An item
// goes to its product's station, else to its category's, else to the default station; the expo
// sees every station's tickets and takes no items itself.
import { api, el, table } from "/ui/kit/index.js";
import {
  card, checkboxes, deleteButton, everything, field, form, select, state, submit,
} from "./parts.js";

const STATIONS = "/kds/stations";
const KINDS = [["prep", "Preparo"], ["expo", "Expedição (expo)"]];

// The stations' card, and the codes of its preparation stations (a printer's possible roles);
// `edit(title, node)` opens a form in the section's editor.
export async function section(page, edit) {
  const [{ items }, categories, products] = await Promise.all([
    api(page.session, STATIONS), everything(page.session, "/categories"),
    everything(page.session, "/products")]);
  const menu = { categories, products };
  const roles = items.filter((s) => s.kind === "prep" && s.active)
    .map((s) => [s.code, `Estação ${s.name}`]);
  return { roles, node: card("Estações da cozinha (KDS)",
    el("p", { class: "muted" }, "Cada item vai para a estação do seu produto; se nenhuma tem o " +
       "produto, para a da sua categoria; senão, para a estação padrão. A expedição vê os " +
       "pedidos de todas as estações."),
    stationForm(page, menu),
    stationTable(page, items, menu, edit)) };
}

// "Chapa & Fritas" → "chapa-fritas": the code the screens and printers use.
function code(name) {
  return name.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 50);
}

function routing(menu, station) {
  const categories = menu.categories.filter((c) => c.active
    || station?.category_ids.includes(c.category_id));
  return el("div", { class: "routing wide" },
    checkboxes("Categorias que vão para esta estação", "category_ids",
               categories.map((c) => [c.category_id, c.name]), station?.category_ids),
    el("details", { open: station?.product_ids.length > 0 },
       el("summary", {}, "Produtos que vão para esta estação (valem mais que a categoria)"),
       checkboxes("Produtos", "product_ids", menu.products.map((p) => [p.product_id,
         p.active ? p.name : `${p.name} (indisponível)`]), station?.product_ids)));
}

function stationForm(page, menu, station = null) {
  const name = field("Nome", { name: "name", required: true, maxlength: 100,
                               value: station?.name });
  const parts = [name];
  let kind = station?.kind || "prep";
  if (!station) {
    const codeField = field("Código", { name: "code", required: true, maxlength: 50,
      pattern: "[a-z0-9][a-z0-9_\\-]*", autocomplete: "off",
      title: "letras minúsculas, números e - (usado pelas telas e impressoras)" });
    const codeInput = codeField.querySelector("input");
    name.querySelector("input").addEventListener("input", (event) => {
      if (!codeInput.dataset.typed) codeInput.value = code(event.target.value);
    });
    codeInput.addEventListener("input", () => { codeInput.dataset.typed = "1"; });
    const kinds = select("Tipo", "kind", KINDS, kind);
    kinds.querySelector("select").addEventListener("change", (event) => {
      kind = event.target.value;
      for (const node of prepOnly) node.hidden = kind !== "prep";
    });
    parts.push(codeField, kinds);
  }
  const prepOnly = [
    el("label", {}, "Estação padrão", el("input", { type: "checkbox", name: "is_default",
                                                     checked: station?.is_default })),
    routing(menu, station)];
  for (const node of prepOnly) node.hidden = kind !== "prep";
  return form(station ? "station-edit" : "station-new",
              station ? "Salvar estação" : "Adicionar estação", async (data, node) => {
    const body = { name: data.get("name") };
    if (!station) Object.assign(body, { code: data.get("code"), kind });
    if (kind === "prep") {
      Object.assign(body, { is_default: data.get("is_default") === "on",
                            category_ids: data.getAll("category_ids"),
                            product_ids: data.getAll("product_ids") });
    }
    const path = station ? `${STATIONS}/${station.station_id}` : STATIONS;
    const done = `Estação “${body.name}” salva`;
    if (await submit(page, node, () => api(page.session, path, {
      method: station ? "PATCH" : "POST", body }), done)) await page.reload(done);
  }, ...parts, ...prepOnly);
}

function receives(station, menu) {
  if (station.kind === "expo") return "os pedidos de todas as estações";
  const names = (list, key, ids) => list.filter((x) => ids.includes(x[key])).map((x) => x.name);
  const parts = [...names(menu.categories, "category_id", station.category_ids),
                 ...names(menu.products, "product_id", station.product_ids)];
  if (station.is_default) parts.push("tudo que nenhuma regra manda para outra");
  return parts.join(", ") || "—";
}

function stationTable(page, stations, menu, edit) {
  const change = (station, body, done) => page.act(() => api(page.session,
    `${STATIONS}/${station.station_id}`, { method: "PATCH", body }), done)
    .then((ok) => ok && page.reload(done));
  return table([{ title: "Estação" }, { title: "Tipo" }, { title: "Recebe" },
                { title: "Situação" }, { title: "Ações" }],
    stations.map((s) => ({ attrs: { dataset: { station: s.code } }, cells: [
      el("span", {}, s.name, el("br"), el("code", { class: "muted" }, s.code)),
      el("span", {}, KINDS.find(([k]) => k === s.kind)?.[1] || s.kind,
         s.is_default ? el("strong", {}, " · ★ padrão") : ""),
      receives(s, menu), state(s.active, "ativa", "inativa"),
      el("span", { class: "actions" },
         el("button", { type: "button", onclick: () => edit(`Editar estação ${s.name}`,
                                                            stationForm(page, menu, s)) },
            "Editar"),
         s.kind === "prep" && s.active && !s.is_default ? el("button", { type: "button",
           onclick: () => change(s, { is_default: true }, `${s.name} é a estação padrão`) },
           "Tornar padrão") : "",
         // The default station stays (the API says so too): no button to take it away.
         s.is_default ? "" : el("button", { type: "button", class: s.active ? "danger" : null,
           onclick: () => change(s, { active: !s.active },
                                 `${s.name}: ${s.active ? "desativada" : "ativada"}`) },
           s.active ? "Desativar" : "Ativar"),
         s.is_default ? "" : deleteButton(page, "Excluir", `Excluir a estação ${s.name}? Os ` +
           "itens dela passam a ir para a estação padrão.", `${STATIONS}/${s.station_id}`,
           `Estação ${s.name} excluída`))] })),
    { id: "stations" });
}
