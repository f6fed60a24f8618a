// The audit log, newest first, read-only: who did what and when (admins only).
import { api, dateTime, el, table } from "/ui/kit/index.js";
import { card, field } from "./parts.js";

const ACTIONS = {
  "auth.login": "Entrada", "auth.login_failed": "Entrada recusada",
  "user.created": "Usuário criado", "user.updated": "Usuário alterado",
  "user.password_reset": "Senha redefinida", "user.password_changed": "Senha trocada",
  "settings.changed": "Configurações alteradas", "product.price_changed": "Preço alterado",
  "order.discount": "Desconto", "order.cancelled": "Pedido cancelado",
};

export async function show(page, view) {
  const rows = el("div");
  const more = el("button", { type: "button", class: "big", hidden: true }, "Carregar mais");
  const filters = el("form", { class: "form toolbar", "aria-label": "Filtros" },
    field("Ação (ou prefixo com ponto: user.)", { name: "action", maxlength: 100 }),
    field("Usuário", { name: "user", maxlength: 100 }),
    el("button", { type: "submit", class: "big primary" }, "Filtrar"));
  let items = [], cursor = null;
  const load = async (fresh) => {
    const query = new URLSearchParams({ limit: "50" });
    for (const [name, value] of new FormData(filters)) if (value) query.set(name, value);
    if (!fresh && cursor) query.set("cursor", cursor);
    const answer = await page.act(() => api(page.session, `/audit?${query}`));
    if (!answer) return;
    items = fresh ? answer.items : [...items, ...answer.items];
    cursor = answer.next_cursor;
    more.hidden = !cursor;
    rows.replaceChildren(items.length ? auditTable(items)
      : el("p", { class: "muted" }, "Nenhum registro."));
  };
  filters.addEventListener("submit", (event) => { event.preventDefault(); load(true); });
  more.addEventListener("click", () => load(false));
  view.replaceChildren(card("Auditoria", filters, rows, more));
  await load(true);
}

function auditTable(items) {
  return table([{ title: "Quando" }, { title: "Usuário" }, { title: "Ação" },
                { title: "Recurso" }, { title: "Detalhes" }],
    items.map((entry) => ({ attrs: { dataset: { action: entry.action } }, cells: [
      dateTime(entry.occurred_at), entry.username || "—",
      el("span", { title: entry.action }, ACTIONS[entry.action] || entry.action),
      [entry.resource_type, entry.resource_id].filter(Boolean).join(" "),
      el("span", { class: "details" }, entry.details ? JSON.stringify(entry.details) : "")] })),
    { id: "audit" });
}
