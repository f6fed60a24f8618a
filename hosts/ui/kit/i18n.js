// The pages' texts, in Brazilian Portuguese. t("key", {name: value}) fills {name} in a text.
export const TEXTS = {
  "signin.title": "Entrar",
  "signin.client": "Cliente (empresa)",
  "signin.username": "Usuário",
  "signin.password": "Senha",
  "signin.submit": "Entrar",
  "signin.failed": "Não foi possível entrar",
  "signout": "Sair",
  "session.expired": "Sua sessão terminou; entre de novo.",
  "session.forbidden": "Sem permissão: {message}",
  "live.on": "● ao vivo",
  "live.reconnecting": "◌ reconectando…",
  "live.offline": "✖ sem conexão",
  "error.network": "Sem conexão com o servidor",
  "offline.queued": "{count} pendente(s) para enviar",
  "role.admin": "Administrador",
  "role.manager": "Gerente",
  "role.cashier": "Caixa",
  "role.waiter": "Garçom",
  "role.kitchen": "Cozinha",
  "role.kiosk": "Totem",
  "role.integration": "Integração",
  "yes": "sim",
  "no": "não",
  "save": "Salvar",
  "cancel": "Cancelar",
  "saved": "Salvo",
  "loading": "Carregando…",
  "home": "Início",
  "options.exactly": "escolha {count}",
  "options.up_to": "até {count}",
  "options.between": "escolha de {min} a {max}",
  "options.no_charge": "sem custo",
  "options.plus": "mais {amount}",
  "options.add": "Adicionar ao pedido",
  "options.back": "Voltar",
  "options.item_price": "Preço do item: {amount}",
  "options.missing": "Falta escolher: {groups}",
  "options.tag": "opções",
  "options.has": "com opções",
};

export const ROLES = ["admin", "manager", "cashier", "waiter", "kitchen", "kiosk", "integration"];

export function t(key, params = {}) {
  const text = TEXTS[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : ""));
}

// A page adds its own texts once: addTexts({"kds.bump": "Pronto"}).
export function addTexts(texts) {
  Object.assign(TEXTS, texts);
}
