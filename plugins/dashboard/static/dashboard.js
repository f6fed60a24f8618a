// POS Modern operations dashboard: plain JS modules, no build step, no CDN, in pt-BR.
// Sign-in, the token, the API calls, the streams (fetch-based SSE resumed with Last-Event-ID) and
// the texts come from the pages' shared kit (/ui/kit).
import { $, EventStream, Session, addTexts, api as kitApi, el, signInForm, t }
  from "/ui/kit/index.js";

addTexts({
  "status.healthy": "saudável", "status.starting": "iniciando", "status.degraded": "degradado",
  "status.unhealthy": "com falha", "status.stopped": "parado",
  "action.start": "Iniciar", "action.stop": "Parar", "action.restart": "Reiniciar",
  "dashboard.confirm_stop": "Parar todas as réplicas de {service}?",
  "dashboard.failed": "{action} {service} falhou: {message}",
  "dashboard.backend": "backend: {backend}", "dashboard.project": "(projeto Compose {project})",
  "dashboard.backend_error": "O backend {backend}: {error}",
  "log.following": "acompanhando", "log.paused": "pausado", "log.reconnecting": "reconectando…",
});
const session = new Session("dashboard", { onExpired: (message) => signOut(message) });
const HISTORY = 90;
const BUS_REFRESH_MS = 5000;
const GLYPHS = { healthy: "●", starting: "◐", degraded: "▲", unhealthy: "✖", stopped: "■" };

const state = {
  services: new Map(), history: new Map(), selected: null, servicesStream: null,
  logStream: null, logCursor: null, busTimer: null, backend: null,
};

// --- helpers ------------------------------------------------------------------------------------

function bytes(value) {
  if (value === null || value === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB"];
  let index = 0;
  while (value >= 1024 && index < units.length - 1) { value /= 1024; index += 1; }
  return `${value.toFixed(index ? 1 : 0)} ${units[index]}`;
}

function percent(value) {
  return value === null || value === undefined ? "–" : `${value.toFixed(1)}%`;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.floor(seconds), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
  const m = Math.floor(s % 3600 / 60);
  if (d) return `${d}d ${h}h`;
  if (h) return `${h}h ${m}m`;
  return `${m}m ${s % 60}s`;
}

function statusBadge(status, text) {
  return el("span", { class: `status status-${status}`, title: text || status,
                      "data-status": status },
            `${GLYPHS[status] || "?"} ${t(`status.${status}`)}`);
}

// CPU is drawn from zero; memory between its lowest and highest, where its changes show.
function sparkline(values, label, fromZero = true) {
  const points = values.filter((v) => v !== null && v !== undefined);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 90 22");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  if (points.length > 1) {
    const low = fromZero ? 0 : Math.min(...points);
    const span = Math.max(...points) - low || 1;
    const step = 90 / (points.length - 1);
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("points", points.map((v, i) =>
      `${(i * step).toFixed(1)},${(21 - ((v - low) / span) * 20).toFixed(1)}`).join(" "));
    svg.append(line);
  }
  return svg;
}

function showBanner(message, bad = false) {
  const banner = $("banner");
  banner.textContent = message;
  banner.className = bad ? "banner bad" : "banner";
  banner.hidden = !message;
}

// --- API ----------------------------------------------------------------------------------------

async function api(path, options = {}) {
  try {
    return await kitApi(session, path, { method: options.method || "GET" });
  } catch (error) {
    throw handleError(error);
  }
}

function handleError(error) {
  if (error.status === 403) {
    stopAll();
    showBanner(t("session.forbidden", { message: error.message }), true);
  }
  return error;
}

// Server-sent events over fetch with Last-Event-ID resume and backoff: the kit's EventStream.
class Stream extends EventStream {
  constructor(path, handlers, lastEventId = null) {
    super(session, path, { ...handlers, error: (error) => {
      handleError(error);
      if (handlers.error) handlers.error(error);
    } }, { lastEventId });
  }
}

// --- sign-in ------------------------------------------------------------------------------------

function signOut(message = "") {
  stopAll();
  session.signOut();
  $("app").hidden = true;
  $("logout").hidden = true;
  $("who").textContent = "";
  $("signin").replaceChildren(signInForm(session, {
    title: "Entrar nas operações", onSignedIn: start,
    note: "Somente operadores: um administrador de um cliente autorizado a operar a plataforma." }));
  if (message) $("login-error").textContent = message;
}

function stopAll() {
  for (const stream of [state.servicesStream, state.logStream]) if (stream) stream.close();
  state.servicesStream = state.logStream = null;
  clearInterval(state.busTimer);
  $("live").hidden = true;
}

async function start() {
  $("signin").replaceChildren();
  showBanner("");
  try {
    const me = await api("/auth/me");
    $("who").textContent = `${me.username} @ ${me.client_id}`;
  } catch (error) {
    if (error.status !== 401) showBanner(error.message, true);
    return;
  }
  $("logout").hidden = false;
  $("app").hidden = false;
  watchServices();
  refreshBus();
  state.busTimer = setInterval(() => {
    if (document.visibilityState === "visible") refreshBus();
  }, BUS_REFRESH_MS);
}

// --- services -----------------------------------------------------------------------------------

function setLive(text, ok) {
  const live = $("live");
  live.hidden = false;
  live.textContent = text;
  live.style.borderColor = ok ? "#3fb950" : "#d29922";
}

function watchServices() {
  state.servicesStream = new Stream("/dashboard/services?watch=true", {
    open: () => setLive(t("live.on"), true),
    lost: () => setLive(t("live.reconnecting"), false),
    history: (history) => {
      for (const [id, series] of Object.entries(history)) {
        state.history.set(id, { cpu: series.cpu_percent.slice(-HISTORY),
                                memory: series.memory_bytes.slice(-HISTORY) });
      }
    },
    services: (snapshot) => renderServices(snapshot),
  });
}

function remember(service) {
  const series = state.history.get(service.id) || { cpu: [], memory: [] };
  series.cpu.push(service.usage.cpu_percent);
  series.memory.push(service.usage.memory_bytes);
  series.cpu = series.cpu.slice(-HISTORY);
  series.memory = series.memory.slice(-HISTORY);
  state.history.set(service.id, series);
  return series;
}

// Rows are updated in place, a cell only when what it shows changed, so a button keeps the
// keyboard focus (and a click in flight) across the snapshots that arrive every few seconds.
function renderServices(snapshot) {
  state.backend = snapshot.backend;
  $("backend").hidden = false;
  $("backend").textContent = t("dashboard.backend", { backend: snapshot.backend });
  $("project").textContent = snapshot.project
    ? t("dashboard.project", { project: snapshot.project }) : "";
  if (snapshot.error) {
    showBanner(t("dashboard.backend_error", { backend: snapshot.backend, error: snapshot.error }),
               true);
  }
  const body = $("services").querySelector("tbody");
  const rows = new Map([...body.rows].map((row) => [row.dataset.service, row]));
  state.services.clear();
  let previous = null;
  for (const service of snapshot.services) {
    state.services.set(service.id, service);
    let row = rows.get(service.id);
    rows.delete(service.id);
    if (!row) {
      row = el("tr", { "data-service": service.id },
        el("td", {}, el("button", { class: "link", type: "button",
                                    onclick: () => select(service.id) }, service.id)),
        ...Array.from({ length: 7 }, () => el("td")));
      row.cells[7].className = "actions";
      if (previous) previous.after(row); else body.prepend(row);
    }
    previous = row;
    row.classList.toggle("selected", service.id === state.selected);
    fillRow(row, service, remember(service));
  }
  for (const gone of rows.values()) gone.remove();
  $("services-empty").hidden = snapshot.services.length > 0;
  if (state.selected && state.services.has(state.selected)) {
    renderDetailStatus(state.services.get(state.selected));
  }
}

function setCell(cell, key, ...content) {
  if (cell.dataset.key === key) return;
  cell.dataset.key = key;
  cell.replaceChildren(...content);
}

function fillRow(row, service, series) {
  const [, status, replicas, cpu, memory, uptime, restarts, actions] = row.cells;
  setCell(status, `${service.status}|${service.status_text}`,
          statusBadge(service.status, service.status_text),
          el("div", { class: "muted" }, service.status_text));
  setCell(replicas, `${service.replicas_running}/${service.replicas_total}`,
          `${service.replicas_running}/${service.replicas_total}`);
  cpu.replaceChildren(el("span", { class: "spark" },
                         sparkline(series.cpu, `CPU de ${service.id}`),
                         percent(service.usage.cpu_percent)));
  memory.replaceChildren(el("span", { class: "spark" },
                            sparkline(series.memory, `memória de ${service.id}`, false),
                            bytes(service.usage.memory_bytes)));
  const age = duration(youngest(service));
  setCell(uptime, age, age);
  setCell(restarts, String(service.restart_count), service.restart_count);
  setCell(actions, `${service.actions}|${service.replicas_running}|${service.status}`,
          ...actionButtons(service));
}

function youngest(service) {
  const uptimes = service.replicas.map((r) => r.uptime_seconds).filter((v) => v !== null && v !== undefined);
  return uptimes.length ? Math.min(...uptimes) : null;
}

function actionButtons(service) {
  if (!service.actions.length) return [el("span", { class: "muted" }, "—")];
  const running = service.replicas_running > 0;
  return service.actions.map((action) => el("button", {
    type: "button", "data-action": action, class: action === "stop" ? "danger" : "",
    disabled: (action === "start" && running && service.status !== "degraded")
      || (action === "stop" && !running) ? "" : null,
    onclick: (event) => control(service.id, action, event.target),
  }, t(`action.${action}`)));
}

async function control(serviceId, action, button) {
  if (action === "stop" && !window.confirm(t("dashboard.confirm_stop", { service: serviceId }))) {
    return;
  }
  const doing = `${t(`action.${action}`)} ${serviceId}`;
  button.disabled = true;
  showBanner(`${doing}…`);
  try {
    const result = await api(`/dashboard/services/${encodeURIComponent(serviceId)}/${action}`,
                             { method: "POST" });
    showBanner(`${doing}: ${result.service.status_text}`);
  } catch (error) {
    if (error.status !== 401 && error.status !== 403) {
      showBanner(t("dashboard.failed", { action: t(`action.${action}`), service: serviceId,
                                         message: error.message }), true);
    }
  } finally {
    button.disabled = false;
  }
}

// --- one service --------------------------------------------------------------------------------

function renderDetailStatus(service) {
  $("detail-status").replaceChildren(statusBadge(service.status, service.status_text));
  const body = $("replicas").querySelector("tbody");
  body.replaceChildren(...service.replicas.map((r) => el("tr", {},
    el("td", {}, r.name), el("td", {}, r.state), el("td", {}, r.health || "–"),
    el("td", { class: "started" }, r.started_at ? r.started_at.replace("T", " ").slice(0, 23) : "–"),
    el("td", {}, r.restart_count),
    el("td", {}, r.ports.map((p) => p.host_port ? `${p.host_ip}:${p.host_port}→${p.container}/${p.protocol}`
                                                 : `${p.container}/${p.protocol}`).join(", ") || "–"),
    el("td", {}, percent(r.usage && r.usage.cpu_percent)),
    el("td", {}, bytes(r.usage && r.usage.memory_bytes)))));
}

function facts(list, entries) {
  list.replaceChildren();
  for (const [name, value] of entries) {
    if (value === null || value === undefined || value === "") continue;
    list.append(el("dt", {}, name), el("dd", {}, typeof value === "object"
      ? JSON.stringify(value) : value));
  }
}

async function select(serviceId) {
  state.selected = serviceId;
  for (const row of $("services").querySelectorAll("tbody tr")) {
    row.classList.toggle("selected", row.dataset.service === serviceId);
  }
  $("detail").hidden = false;
  $("detail-name").textContent = serviceId;
  $("log").replaceChildren();
  state.logCursor = null;
  openLogs();
  try {
    const service = await api(`/dashboard/services/${encodeURIComponent(serviceId)}`);
    if (state.selected !== serviceId) return;
    renderDetailStatus(service);
    facts($("detail-facts"), [["Situação", service.status_text], ["Imagem", service.image],
                              ["Descrição", service.description],
                              ["Reinícios", service.restart_count]]);
    renderExtra(service.details || {});
  } catch (error) {
    if (error.status === 404) showBanner(error.message, true);
  }
}

function renderExtra(details) {
  const box = $("detail-extra");
  box.replaceChildren();
  if (details.plugins) {
    box.append(el("h3", {}, "Plugins e seus hooks"));
    const table = el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, el("th", {}, "Plugin"), el("th", {}, "Origem"),
                         el("th", {}, "Hooks"))));
    const body = el("tbody");
    for (const plugin of details.plugins) {
      body.append(el("tr", {}, el("td", {}, plugin.name),
                     el("td", {}, plugin.distribution ? `${plugin.distribution} ${plugin.version}`
                                                      : plugin.module),
                     el("td", {}, plugin.hooks.join(", "))));
    }
    table.append(body);
    box.append(table);
  }
  const rest = Object.entries(details).filter(([key]) => key !== "plugins");
  if (rest.length) {
    const list = el("dl", { class: "facts" });
    facts(list, rest);
    box.append(list);
  }
}

function openLogs() {
  if (state.logStream) state.logStream.close();
  state.logStream = null;
  if (!$("follow").checked || !state.selected) {
    $("log-state").textContent = t("log.paused");
    return;
  }
  const path = `/dashboard/services/${encodeURIComponent(state.selected)}/logs?follow=true&tail=200`;
  state.logStream = new Stream(path, {
    open: () => { $("log-state").textContent = t("log.following"); },
    lost: () => { $("log-state").textContent = t("log.reconnecting"); },
    log: (line, id) => { state.logCursor = id; appendLog(line); },
  }, state.logCursor);
}

function appendLog(line) {
  const log = $("log");
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  log.append(el("div", { class: line.replica === "dashboard" ? "line note" : "line" },
    el("span", { class: "ts" }, line.ts ? `${line.ts.slice(11, 23)} ` : ""),
    el("span", { class: "replica" }, `${line.replica} `),
    el("span", { class: "msg" }, line.message)));
  while (log.childElementCount > 2000) log.firstElementChild.remove();
  if (atBottom) log.scrollTop = log.scrollHeight;
}

// --- event bus ----------------------------------------------------------------------------------

const rate = (value) => (value === null || value === undefined ? "–" : value.toFixed(2));

async function refreshBus() {
  let bus;
  try {
    bus = await api("/dashboard/event-bus");
  } catch (error) {
    return;
  }
  $("bus-source").textContent = `(${bus.broker}, ${bus.source}: ${bus.url})`;
  $("bus-error").hidden = bus.status === "ok";
  $("bus-error").textContent = bus.error || "";
  const overview = bus.overview || {};
  facts($("bus-overview"), [["Exchange", bus.exchange], ["Versão", overview.version],
                            ["Conexões", overview.connections],
                            ["Consumidores", overview.consumers],
                            ["Mensagens", overview.messages],
                            ["Publicadas/s", rate(overview.publish_rate)],
                            ["Entregues/s", rate(overview.deliver_rate)]]);
  $("bus-exchanges").querySelector("tbody").replaceChildren(...(bus.exchanges || []).map((x) =>
    el("tr", {}, el("td", {}, x.name), el("td", {}, x.type), el("td", {}, x.durable ? t("yes") : t("no")),
       el("td", {}, rate(x.publish_rate)))));
  $("bus-queues").querySelector("tbody").replaceChildren(...(bus.queues || []).map((q) =>
    el("tr", { "data-queue": q.name }, el("td", {}, q.name), el("td", {}, q.messages ?? "–"),
       el("td", {}, q.unacked ?? "–"), el("td", {}, q.consumers ?? "–"),
       el("td", {}, rate(q.publish_rate)), el("td", {}, rate(q.deliver_rate)),
       el("td", {}, rate(q.ack_rate)))));
  const p = bus.process;
  facts($("bus-process"), [["Publicados", p.published],
                           ["Tratados", Object.values(p.handled).reduce((a, b) => a + b, 0)],
                           ["Duplicados ignorados", p.duplicates], ["Falhas", p.failures],
                           ["Desistidos", p.dead], ["Pendentes no outbox", p.backlog]]);
}

// --- start --------------------------------------------------------------------------------------

$("logout").addEventListener("click", () => signOut());
$("follow").addEventListener("change", openLogs);
if (session.token) start(); else signOut();
