// Reports of a period: sales by day, hour, product, category, payment method and operator;
// cancellations and discounts. Shown as a table with its totals, or exported as CSV.
import { api, dateTime, day, download, el, money, quantity, table } from "/ui/kit/index.js";
import { card, field, select } from "./parts.js";

const REPORTS = [
  ["sales?by=day", "Vendas por dia"], ["sales?by=hour", "Vendas por hora"],
  ["sales?by=product", "Vendas por produto"], ["sales?by=category", "Vendas por categoria"],
  ["sales?by=payment_method", "Vendas por forma de pagamento"],
  ["sales?by=operator", "Vendas por operador"], ["cancellations", "Cancelamentos"],
  ["discounts", "Descontos"],
];
const SHOW = { money, quantity, count: String, date: day, datetime: dateTime, hour: String,
               text: String };
const chosen = { report: REPORTS[0][0], since: null, until: null };

function path(format = "json") {
  const [report, by] = chosen.report.split("?");
  const query = new URLSearchParams(by ? Object.fromEntries([by.split("=")]) : {});
  // No dates yet: the server answers for the store's today (its time zone, not the browser's).
  if (chosen.since) query.set("since", chosen.since);
  if (chosen.until) query.set("until", chosen.until);
  if (format !== "json") query.set("format", format);
  return `/reports/${report}?${query}`;
}

export async function show(page, view) {
  const result = el("div", { id: "report" });
  const toolbar = el("form", { class: "form toolbar", "aria-label": "Período e relatório" },
    select("Relatório", "report", REPORTS, chosen.report),
    field("De", { name: "since", type: "date", required: true, value: chosen.since || "" }),
    field("Até", { name: "until", type: "date", required: true, value: chosen.until || "" }),
    el("button", { type: "submit", class: "big primary" }, "Gerar"),
    el("button", { type: "button", class: "big", onclick: () => exportCsv(page, toolbar) },
       "Exportar CSV"));
  toolbar.addEventListener("submit", (event) => {
    event.preventDefault();
    run(page, toolbar, result);
  });
  view.replaceChildren(card("Relatórios", toolbar, result));
  await run(page, toolbar, result);
}

function choose(toolbar) {
  const data = new FormData(toolbar);
  Object.assign(chosen, { report: data.get("report"), since: data.get("since"),
                          until: data.get("until") });
}

async function run(page, toolbar, result) {
  choose(toolbar);
  const report = await page.act(() => api(page.session, path()));
  if (!report) return;
  // The period the server chose (the store's today, the first time) fills the form.
  Object.assign(chosen, { since: report.since, until: report.until });
  toolbar.elements.since.value = report.since;
  toolbar.elements.until.value = report.until;
  result.replaceChildren(render(report));
}

async function exportCsv(page, toolbar) {
  choose(toolbar);
  const name = `${chosen.report.replace(/\W+/g, "-")}_${chosen.since}_${chosen.until}.csv`;
  await page.act(() => download(page.session, path("csv"), name), `Exportado: ${name}`);
}

function render(report) {
  const headers = report.columns.map((c) => ({ title: c.title,
                                               num: !["text", "date", "datetime", "hour"].includes(c.kind) }));
  const cells = (row) => report.columns.map((c) => (row[c.name] === undefined ? ""
    : SHOW[c.kind](row[c.name])));
  const grid = table(headers, report.rows.map(cells), { id: "report-table" });
  grid.append(el("tfoot", {}, el("tr", {}, report.columns.map((c, index) => el("td",
    { class: headers[index].num ? "num" : null },
    index === 0 ? "Total" : c.name in report.totals ? SHOW[c.kind](report.totals[c.name]) : "")))));
  const period = report.since === report.until ? day(report.since)
    : `${day(report.since)} a ${day(report.until)}`;
  return el("div", {}, el("h3", {}, `${report.title} · ${period}`),
            report.rows.length ? grid : el("p", { class: "muted" }, "Nada no período."),
            el("p", { class: "muted" }, `Fuso horário: ${report.timezone}`));
}
