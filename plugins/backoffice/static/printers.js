// The store's printers (the peripherals plugin's /api/v1/peripherals/printers): how each one is
// reached, what it prints (receipts, a kitchen station's tickets, the bar's), its paper and code
// page, its backup, whether it answers; a test page on demand.
import { api, el, table } from "/ui/kit/index.js";
import { card, deleteButton, field, form, select, state, submit, whole } from "./parts.js";

const PRINTERS = "/peripherals/printers";
const BAUD_RATES = ["1200", "2400", "4800", "9600", "19200", "38400", "57600", "115200"];
const PAPER = [["80", "80 mm"], ["58", "58 mm"]];
const ROLES = [["receipt", "Recibo (caixa)"], ["bar", "Bar"]];

// The connection's fields of each built-in driver (a driver of another plugin: its JSON).
const CONNECTIONS = {
  "escpos-network": {
    title: "Rede (TCP/IP)",
    fields: (c) => [
      field("Endereço (IP ou nome)", { name: "connection.host", required: true, maxlength: 253,
                                        value: c.host, autocomplete: "off",
                                        title: "IP ou nome da impressora na rede" }),
      field("Porta", { name: "connection.port", required: true, inputmode: "numeric", size: 6,
                       value: c.port ?? 9100, title: "de 1 a 65535 (em geral 9100)" }),
      statusQuery(c)],
    read: (data) => ({ host: data.get("connection.host"),
                       port: whole(data.get("connection.port")),
                       status_query: data.get("connection.status_query") === "on" }),
    shown: (c) => `${c.host}:${c.port}`,
  },
  "escpos-serial": {
    title: "Serial (USB/RS-232)",
    fields: (c) => [
      field("Dispositivo", { name: "connection.device", required: true, value: c.device,
                             placeholder: "/dev/ttyUSB0", autocomplete: "off",
                             title: "um caminho em /dev, como /dev/ttyUSB0" }),
      select("Velocidade (baud)", "connection.baudrate", BAUD_RATES.map((b) => [b, b]),
             String(c.baudrate ?? 9600)),
      statusQuery(c)],
    read: (data) => ({ device: data.get("connection.device"),
                       baudrate: whole(data.get("connection.baudrate")),
                       status_query: data.get("connection.status_query") === "on" }),
    shown: (c) => `${c.device} · ${c.baudrate} baud`,
  },
  "escpos-cups": {
    title: "Fila CUPS",
    fields: (c) => [field("Fila", { name: "connection.queue", required: true, value: c.queue,
                                    autocomplete: "off",
                                    title: "o nome da fila no CUPS (letras, números, _ . -)" })],
    read: (data) => ({ queue: data.get("connection.queue") }),
    shown: (c) => `CUPS ${c.queue}`,
  },
};

function statusQuery(c) {
  return el("label", {}, "Consultar status", el("input", {
    type: "checkbox", name: "connection.status_query", checked: c.status_query,
    title: "só para impressoras que respondem ao pedido de status (DLE EOT)" }));
}

// The printers' card. `roles`: [code, text] of the kitchen stations a printer can serve.
export async function section(page, edit, stationRoles) {
  const [{ printers }, { drivers, profiles }] = await Promise.all([
    api(page.session, PRINTERS), api(page.session, "/peripherals/drivers")]);
  const known = { drivers, profiles, printers, roles: roleChoices(stationRoles) };
  return card("Impressoras",
    el("p", { class: "muted" }, "Recibos saem na impressora de função “Recibo”; os pedidos de " +
       "cada estação de cozinha, na impressora com a função dessa estação. A reserva imprime " +
       "quando a principal falha."),
    printerForm(page, known),
    printerTable(page, known, edit));
}

function roleChoices(stationRoles) {
  const seen = new Set();
  return [...ROLES, ...stationRoles].filter(([code]) => !seen.has(code) && seen.add(code));
}

function roleName(known, role) {
  return known.roles.find(([code]) => code === role)?.[1] || role;
}

function connectionFields(driver, connection) {
  const kind = CONNECTIONS[driver];
  if (kind) return kind.fields(connection);
  return [el("label", { class: "wide" }, "Conexão (JSON)", el("textarea", {
    name: "connection", rows: 3, required: true, "aria-label": "Conexão (JSON)",
  }, JSON.stringify(connection)))];
}

function readConnection(driver, data, before) {
  const kind = CONNECTIONS[driver];
  if (kind) return { ...before, ...kind.read(data) };
  try {
    return JSON.parse(data.get("connection"));
  } catch {
    return data.get("connection");  // the API says what is wrong with it
  }
}

function printerForm(page, known, printer = null) {
  let driver = printer?.driver || "escpos-network";
  const sameDriver = () => (printer && printer.driver === driver ? printer.connection : {});
  const connection = el("div", { class: "form connection wide" },
                        connectionFields(driver, sameDriver()));
  const drivers = select("Conexão", "driver", known.drivers.map((d) => [
    d.name, CONNECTIONS[d.name]?.title || `${d.name} (${d.description})`]), driver);
  drivers.querySelector("select").addEventListener("change", (event) => {
    driver = event.target.value;
    connection.replaceChildren(...connectionFields(driver, sameDriver()));
  });
  const roles = [...known.roles];
  if (printer && !roles.some(([code]) => code === printer.role)) {
    roles.push([printer.role, printer.role]);
  }
  const backups = [["", "Sem reserva"], ...known.printers
    .filter((p) => p.printer_id !== printer?.printer_id)
    .map((p) => [p.printer_id, `${p.name} (${roleName(known, p.role)})`])];
  return form(printer ? "printer-edit" : "printer-new",
              printer ? "Salvar impressora" : "Adicionar impressora", async (data, node) => {
    const body = {
      name: data.get("name"), driver, role: data.get("role"),
      connection: readConnection(driver, data, sameDriver()),
      paper_mm: Number(data.get("paper_mm")), profile: data.get("profile"),
      backup_printer_id: data.get("backup_printer_id") || null,
      active: data.get("active") === "on",
    };
    const path = printer ? `${PRINTERS}/${printer.printer_id}` : PRINTERS;
    const done = `Impressora “${body.name}” salva`;
    if (await submit(page, node, () => api(page.session, path, {
      method: printer ? "PATCH" : "POST", body }), done)) await page.reload(done);
  },
  field("Nome", { name: "name", required: true, maxlength: 100, value: printer?.name }),
  select("Função", "role", roles, printer?.role || "receipt"),
  drivers, connection,
  select("Papel", "paper_mm", PAPER, String(printer?.paper_mm || 80)),
  select("Perfil (página de código)", "profile", known.profiles.map((p) => [
    p.name, `${p.name} — ${p.description}`]), printer?.profile || "generic"),
  select("Impressora reserva", "backup_printer_id", backups, printer?.backup_printer_id || ""),
  el("label", {}, "Ativa", el("input", { type: "checkbox", name: "active",
                                         checked: printer ? printer.active : true })));
}

// Whether it answers: the spool's last word about it (the text says it, the colour helps).
function status(printer) {
  if (!printer.active) return state(false, "", "desativada");
  if (printer.online === true) return state(true, "respondendo", "");
  if (printer.online === false) {
    return el("span", {}, state(false, "", "sem resposta"),
              printer.last_error ? el("br") : "",
              printer.last_error ? el("small", { class: "muted" }, printer.last_error) : "");
  }
  return el("span", { class: "muted" }, "— ainda não imprimiu");
}

function printerTable(page, known, edit) {
  const names = new Map(known.printers.map((p) => [p.printer_id, p.name]));
  return table([{ title: "Impressora" }, { title: "Função" }, { title: "Conexão" },
                { title: "Papel" }, { title: "Situação" }, { title: "Reserva" },
                { title: "Ações" }],
    known.printers.map((p) => ({ attrs: { dataset: { printer: p.name } }, cells: [
      p.name, roleName(known, p.role),
      CONNECTIONS[p.driver]?.shown(p.connection) || `${p.driver} ${JSON.stringify(p.connection)}`,
      `${p.paper_mm} mm`, status(p), names.get(p.backup_printer_id) || "—",
      el("span", { class: "actions" },
         el("button", { type: "button", onclick: () => edit(`Editar impressora ${p.name}`,
                                                            printerForm(page, known, p)) },
            "Editar"),
         el("button", { type: "button", disabled: !p.active, onclick: () => page.act(
           () => api(page.session, `${PRINTERS}/${p.printer_id}/test`, { method: "POST" }),
           `Página de teste enviada para ${p.name}`) }, "Imprimir teste"),
         deleteButton(page, "Remover", `Remover a impressora ${p.name}? O que estiver na ` +
                      "fila dela vai para outra da mesma função.",
                      `${PRINTERS}/${p.printer_id}`, `Impressora ${p.name} removida`))] })),
    { id: "printers" });
}
