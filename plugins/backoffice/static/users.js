// The tenant's users: add, change roles, deactivate, reset a password (admins), through the
// auth plugin's API. Managers see the list.
import { ROLES, api, dateTime, el, t, table } from "/ui/kit/index.js";
import { card, field, form, state } from "./parts.js";

export async function show(page, view) {
  const { items } = await api(page.session, "/auth/users");
  const editor = el("div");
  const edit = (title, node) => editor.replaceChildren(card(title, node));
  view.replaceChildren(editor,
    page.admin ? card("Novo usuário", newUserForm(page)) : "",
    card("Usuários", usersTable(page, items, edit)));
}

function roleBoxes(chosen = []) {
  return el("fieldset", {}, el("legend", {}, "Papéis"), ROLES.map((role) => el("label", {},
    el("input", { type: "checkbox", name: "roles", value: role, checked: chosen.includes(role) }),
    t(`role.${role}`))));
}

function newUserForm(page) {
  return form("user-new", "Adicionar usuário", async (data) => {
    const body = { username: data.get("username"), full_name: data.get("full_name") || null,
                   password: data.get("password"), roles: data.getAll("roles") };
    if (await page.act(() => api(page.session, "/auth/users", { method: "POST", body }),
                       `Usuário “${body.username}” criado`)) page.reload();
  },
  field("Usuário", { name: "username", required: true, maxlength: 100, autocomplete: "off" }),
  field("Nome completo", { name: "full_name", maxlength: 100 }, true),
  field("Senha inicial", { name: "password", type: "password", required: true, minlength: 8,
                           autocomplete: "new-password" }),
  roleBoxes(["cashier"]));
}

function rolesForm(page, user) {
  return form("user-roles", "Salvar papéis", async (data) => {
    if (await page.act(() => api(page.session, `/users/${user.user_id}`, {
      method: "PATCH", body: { roles: data.getAll("roles") } }),
                       `Papéis de ${user.username} salvos`)) page.reload();
  }, roleBoxes(user.roles));
}

function passwordForm(page, user) {
  return form("user-password", "Redefinir senha", async (data) => {
    if (await page.act(() => api(page.session, `/users/${user.user_id}/password`, {
      method: "POST", body: { password: data.get("password") } }),
                       `Senha de ${user.username} redefinida; as sessões dele foram encerradas`)) {
      page.reload();
    }
  }, field("Nova senha", { name: "password", type: "password", required: true, minlength: 8,
                           autocomplete: "new-password" }));
}

function actions(page, user, edit) {
  if (!page.admin || user.username === page.me.username) return "";
  return el("span", { class: "actions" },
    el("button", { type: "button", onclick: () => edit(`Papéis de ${user.username}`,
                                                       rolesForm(page, user)) }, "Papéis"),
    el("button", { type: "button", onclick: () => edit(`Senha de ${user.username}`,
                                                       passwordForm(page, user)) },
       "Redefinir senha"),
    el("button", { type: "button", class: user.active ? "danger" : null, onclick: async () => {
      if (await page.act(() => api(page.session, `/users/${user.user_id}`, {
        method: "PATCH", body: { active: !user.active } }),
                         `${user.username} ${user.active ? "desativado" : "reativado"}`)) {
        page.reload();
      }
    } }, user.active ? "Desativar" : "Reativar"));
}

function usersTable(page, users, edit) {
  return table([{ title: "Usuário" }, { title: "Nome" }, { title: "Papéis" }, { title: "Loja" },
                { title: "Situação" }, { title: "Último acesso" }, { title: "Ações" }],
    users.map((u) => ({ attrs: { dataset: { user: u.username } }, cells: [
      u.username, u.full_name || "—", u.roles.map((role) => t(`role.${role}`)).join(", "),
      u.store_id, state(u.active, "ativo", "inativo"), dateTime(u.last_login_at),
      actions(page, u, edit)] })),
    { id: "users" });
}
