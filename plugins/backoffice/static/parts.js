// Small pieces the back office's sections share: forms, fields, paging through a list, and the
// API's errors said in pt-BR (the banner) and next to the field they are about.
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

// A form whose submit runs `onSubmit(FormData, form)`; the button shows `submit`.
export function form(name, submit, onSubmit, ...fields) {
  const node = el("form", { class: "form", name, "aria-label": submit },
                  ...fields, el("button", { type: "submit", class: "big primary" }, submit));
  node.addEventListener("submit", async (event) => {
    event.preventDefault();
    await onSubmit(new FormData(node), node);
  });
  return node;
}

// A button that asks `question` and, once confirmed, deletes `path`; the section is shown
// again with `done`.
export function deleteButton(page, text, question, path, done) {
  return el("button", { type: "button", class: "danger", onclick: async () => {
    if (!window.confirm(question)) return;
    if (await page.act(() => api(page.session, path, { method: "DELETE" }), done)) {
      await page.reload(done);
    }
  } }, text);
}

// "✓ ativo" / "✖ inativo": the word says it, the colour helps.
export function state(on, yes, no) {
  return el("span", { class: `state ${on ? "on" : "off"}` }, on ? `✓ ${yes}` : `✖ ${no}`);
}

// "9100" → 9100; anything else stays text, for the API to say what is wrong with it.
export function whole(text) {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : text;
}

// "26,90" or "26.90" → "26.90" (the API's decimal strings).
export function decimal(text) {
  return String(text).trim().replace(/\./g, (dot, at, all) =>
    (all.includes(",") ? "" : dot)).replace(",", ".");
}

// --- errors in pt-BR ----------------------------------------------------------------------------

// The API's error codes the back office's forms meet; the server's (English) message otherwise.
const CODES = {
  validation_error: "Dados inválidos: veja os campos marcados",
  network_error: "Sem conexão com o servidor",
  station_exists: "Já existe uma estação com esse código nesta loja",
  station_not_found: "Essa estação não existe mais",
  default_station: "A loja precisa de uma estação padrão: torne outra a padrão antes de " +
    "desmarcar, desativar ou excluir esta",
  invalid_station: "Estação inválida: a expedição não recebe itens nem é a padrão, e o aviso " +
    "amarelo vem antes do vermelho",
  unknown_driver: "Tipo de conexão desconhecido neste servidor",
  unknown_profile: "Perfil de impressora desconhecido",
  bad_connection: "Conexão inválida: veja os campos marcados",
  bad_backup_printer: "A impressora reserva deve ser outra impressora da loja, com a mesma função",
  printer_not_found: "Essa impressora não existe mais",
  product_not_found: "Esse produto não existe mais",
  modifier_group_not_found: "Esse grupo de opções não existe mais",
  min_above_max: "O mínimo de escolhas passa do máximo",
  unknown_option: "Uma das opções não é mais deste grupo: abra o grupo de novo e refaça a mudança",
  unknown_modifier_group: "Um dos grupos de opções escolhidos não existe nesta loja",
  forbidden: "Sem permissão para isso",
};

// What a field's value broke (pydantic's error types), said to a person.
const TYPES = {
  missing: "obrigatório",
  string_pattern_mismatch: "formato inválido",
  string_too_short: "curto demais",
  string_too_long: "longo demais",
  less_than: "acima do máximo",
  less_than_equal: "acima do máximo",
  greater_than: "abaixo do mínimo",
  greater_than_equal: "abaixo do mínimo",
  int_parsing: "não é um número inteiro",
  int_type: "não é um número inteiro",
  int_from_float: "não é um número inteiro",
  decimal_parsing: "não é um número",
  decimal_max_places: "casas decimais demais",
  float_parsing: "não é um número",
  literal_error: "valor não aceito",
  enum: "valor não aceito",
  value_error: "valor não aceito",
  extra_forbidden: "campo desconhecido",
  too_short: "poucos itens",
  too_long: "itens demais",
  min_above_max: "maior que o máximo",
  unknown_option: "opção que não é deste grupo",
  unknown_modifier_group: "grupo que não existe nesta loja",
};

// A detail's field: its loc, less the part of the request it names first when it does
// (["body", "POS_X"] from the settings; ["connection", "port"] as the host says a body's field).
function where(detail, prefix = "") {
  const loc = (detail.loc || []).map(String);
  return prefix + (["body", "query", "path"].includes(loc[0]) ? loc.slice(1) : loc).join(".");
}

// The error as the banner says it: the code's pt-BR text, then each detail's field and problem.
export function explain(error) {
  const details = Array.isArray(error.details)
    ? error.details.map((d) => [where(d), TYPES[d.type] || d.msg].filter(Boolean).join(": "))
    : [];
  return [CODES[error.code] || error.message, ...details].join(" · ");
}

// Marks the form's fields named in a 422's details (the field's name is its path in the body,
// after `prefix`): aria-invalid, and the problem in pt-BR under the field, with the field's hint
// (its title) saying what is expected. How many fields were marked.
export function markFields(node, error, prefix = "") {
  let marked = 0;
  for (const detail of Array.isArray(error.details) ? error.details : []) {
    const input = node.querySelector(`[name="${CSS.escape(where(detail, prefix))}"]`);
    const label = input?.closest("label");
    if (!label) continue;
    const id = `${node.getAttribute("name") || "form"}-${input.name}-error`.replace(/\W/g, "-");
    const hint = input.getAttribute("title");
    label.querySelector(".field-error")?.remove();
    label.append(el("span", { class: "field-error", id, role: "alert" },
                    `✖ ${TYPES[detail.type] || detail.msg}${hint ? ` — ${hint}` : ""}`));
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", id);
    marked += 1;
  }
  return marked;
}

export function clearMarks(node) {
  for (const mark of node.querySelectorAll(".field-error")) mark.remove();
  for (const input of node.querySelectorAll("[aria-invalid]")) {
    input.removeAttribute("aria-invalid");
    input.removeAttribute("aria-describedby");
  }
}

// Run a form's API action: its fields' marks cleared, then the error (if any) in the banner and
// next to the fields it names. The result, or null on failure.
export async function submit(page, node, work, done, prefix = "") {
  clearMarks(node);
  try {
    const result = await work();
    page.banner(done);
    return result ?? true;
  } catch (error) {
    if (error.status === 401) return null;
    markFields(node, error, prefix);
    page.banner(explain(error), true);
    return null;
  }
}

// Check boxes in a fieldset (large rows, for a finger): [value, text] pairs.
export function checkboxes(legend, name, options, chosen = []) {
  const picked = new Set(chosen.map(String));
  return el("fieldset", { class: "choices" }, el("legend", {}, legend),
    options.length ? options.map(([value, text]) => el("label", {},
      el("input", { type: "checkbox", name, value, checked: picked.has(String(value)) }), text))
      : el("span", { class: "muted" }, "nenhum"));
}
