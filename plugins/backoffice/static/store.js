// The store's settings: the per-store settings of the loaded plugins, through /api/v1/settings.
// Admins change them (null puts one back to every store's value); managers read them. With the
// kds plugin, the kitchen stations; with the peripherals plugin, the printers (managers edit
// both).
import { api, el, loadedPlugins, table } from "/ui/kit/index.js";
import { card } from "./parts.js";
import * as printers from "./printers.js";
import * as stations from "./stations.js";

const SOURCES = { store: "desta loja", env: "do servidor", file: "do servidor",
                  default: "padrão" };

export async function show(page, view) {
  const [{ items }, plugins] = await Promise.all([api(page.session, "/settings"),
                                                 loadedPlugins()]);
  const opened = el("div");
  const edit = (title, node) => {
    opened.replaceChildren(card(title, node));
    opened.scrollIntoView({ block: "nearest" });
  };
  const kitchen = plugins.has("kds") ? await stations.section(page, edit) : null;
  const printing = plugins.has("peripherals")
    ? await printers.section(page, edit, [...(kitchen?.roles || []), ...printedStations(items)])
    : null;
  const inputs = new Map();
  const rows = items.map((item) => {
    const input = editor(item, !page.admin);
    inputs.set(item.name, [input, shownValue(item)]);
    return { attrs: { dataset: { setting: item.name } }, cells: [
      el("span", {}, item.description, el("br"), el("code", { class: "muted" }, item.name)),
      input, el("span", { class: "muted" }, SOURCES[item.source] || item.source),
      page.admin && item.source === "store" ? el("button", { type: "button", onclick: () =>
        save(page, { [item.name]: null }, "Configuração de volta ao padrão") }, "Padrão") : ""] };
  });
  const saveButton = el("button", { type: "button", class: "big primary", onclick: () => {
    const changed = {};
    for (const [name, [input, before]] of inputs) {
      if (input.value !== before) changed[name] = input.value === "" ? null : input.value;
    }
    if (!Object.keys(changed).length) page.banner("Nada mudou");
    else save(page, changed, "Configurações salvas");
  } }, "Salvar configurações");
  view.replaceChildren(opened, kitchen?.node || "", printing || "", card(
    "Configurações da loja",
    el("p", { class: "muted" }, items.length ? `Loja ${page.me.store_id}. ` +
       "Valores em branco usam o padrão de todas as lojas." : "Nenhum plugin carregado tem " +
       "configurações por loja."),
    el("div", { class: "settings" }, table([{ title: "Configuração" }, { title: "Valor" },
                                             { title: "Origem" }, { title: "" }], rows,
                                            { id: "settings" })),
    page.admin && items.length ? saveButton : ""));
}

// The stations the printing settings name (POS_KITCHEN_STATIONS' category=station pairs and
// POS_KITCHEN_DEFAULT_STATION): roles a kitchen printer can take.
function printedStations(items) {
  const value = (name) => items.find((item) => item.name === name)?.value;
  const pairs = [value("POS_KITCHEN_STATIONS") || []].flat();
  return [value("POS_KITCHEN_DEFAULT_STATION"), ...pairs.map((pair) => String(pair).split("=")[1])]
    .map((code) => String(code || "").trim().toLowerCase()).filter(Boolean)
    .map((code) => [code, `Estação ${code}`]);
}

async function save(page, body, done) {
  if (await page.act(() => api(page.session, "/settings", { method: "PATCH", body }), done)) {
    const message = done;
    await page.reload();
    page.banner(message);
  }
}

function shownValue(item) {
  if (item.value === null || item.value === undefined) return "";
  if (Array.isArray(item.value)) return item.value.join(", ");
  return String(item.value);
}

function editor(item, readOnly) {
  const label = item.description || item.name;
  const value = shownValue(item);
  if (item.type === "true/false" || item.choices.length) {
    const options = item.type === "true/false" ? [["true", "sim"], ["false", "não"]]
      : item.choices.map((choice) => [choice, choice]);
    return el("select", { name: item.name, "aria-label": label, disabled: readOnly },
      options.map(([key, text]) => el("option", { value: key, selected: key === value }, text)));
  }
  return el("input", { name: item.name, "aria-label": label, value, disabled: readOnly,
                       type: item.secret ? "password" : "text", title: item.expected,
                       placeholder: item.expected });
}
