// A product's fiscal data, with the fiscal plugin (/api/v1/fiscal/products/{id}): what its NFC-e
// item says — NCM, CEST, CFOP, CST/CSOSN (it must fit the store's CRT) and the ICMS rates of CST
// 00/20, origin, the IBS/CBS class and rates. The plugin checks them; a field left blank takes
// the plugin's default (the placeholder shows it).
import { api, el } from "/ui/kit/index.js";
import { decimal, field, select } from "./parts.js";

const FISCAL = "/fiscal/products";
export const PREFIX = "fiscal.";  // the fields' names in the product form: fiscal.ncm …

// Origem da mercadoria (the NF-e's table of origins).
const ORIGINS = [
  ["0", "0 · Nacional"],
  ["1", "1 · Estrangeira, importação direta"],
  ["2", "2 · Estrangeira, adquirida no mercado interno"],
  ["3", "3 · Nacional, com mais de 40% e até 70% de conteúdo importado"],
  ["4", "4 · Nacional, processo produtivo básico"],
  ["5", "5 · Nacional, com até 40% de conteúdo importado"],
  ["6", "6 · Estrangeira, importação direta, sem similar nacional"],
  ["7", "7 · Estrangeira, mercado interno, sem similar nacional"],
  ["8", "8 · Nacional, com mais de 70% de conteúdo importado"],
];
// [name, label, placeholder, hint]: the hint is also what an error next to the field says.
const TEXT_FIELDS = [
  ["ncm", "NCM", "21069090", "8 dígitos, como 21069090"],
  ["cest", "CEST", "", "7 dígitos, só quando o NCM tem CEST"],
  ["cfop", "CFOP", "5102", "4 dígitos começando por 5 (venda dentro do estado)"],
  ["cst", "CST/CSOSN", "102", "CSOSN do Simples, CRT 1 (102, 103, 300, 400, 500, 900) ou CST " +
                              "do regime normal, CRT 3 (00, 20, 40, 41, 50, 60, 90)"],
  ["icms_rate", "Alíquota ICMS (%)", "", "obrigatória nos CST 00 e 20, opcional nos CST 90 e " +
                                         "CSOSN 900: de 0 a 100"],
  ["icms_base_reduction", "Redução da base ICMS (%)", "", "obrigatória no CST 20, opcional " +
                                                          "nos CST 90 e CSOSN 900: de 0 a 100"],
  ["fcp_rate", "Alíquota FCP (%)", "", "Fundo de Combate à Pobreza: só CST 00, 20 e 90, onde " +
                                       "o estado cobra; de 0 a 100"],
  // ICMS charged before by substitution (CST 60, CSOSN 500): from the supplier's invoice.
  ["st_retained_base", "Base ST retida por unidade (R$)", "",
   "só CST 60 e CSOSN 500, da nota do fornecedor; com a alíquota ST e o ICMS-ST retido"],
  ["st_rate", "Alíquota ST (%)", "", "só CST 60 e CSOSN 500: a suportada pelo consumidor final"],
  ["st_substitute_icms", "ICMS próprio do substituto por unidade (R$)", "",
   "só CST 60 e CSOSN 500, opcional"],
  ["st_retained_icms", "ICMS-ST retido por unidade (R$)", "", "só CST 60 e CSOSN 500; com a " +
                                                             "base ST retida e a alíquota ST"],
  ["effective_base_reduction", "Redução da base efetiva (%)", "", "só CST 60 e CSOSN 500, " +
                                                                 "com a alíquota efetiva"],
  ["effective_icms_rate", "Alíquota ICMS efetiva (%)", "", "só CST 60 e CSOSN 500, onde o " +
                                                          "estado pede o ICMS efetivo"],
  ["cst_ibscbs", "CST IBS/CBS", "000", "3 dígitos"],
  ["cclass_trib", "cClassTrib", "000001", "6 dígitos (000001: tributação integral)"],
  ["ibs_rate", "Alíquota IBS (%)", "0,1", "de 0 a 100, até 4 casas decimais"],
  ["cbs_rate", "Alíquota CBS (%)", "0,9", "de 0 a 100, até 4 casas decimais"],
];
// Decimal fields: shown and typed with a comma.
const RATES = new Set(["ibs_rate", "cbs_rate", "icms_rate", "icms_base_reduction", "fcp_rate",
  "st_retained_base", "st_rate", "st_substitute_icms", "st_retained_icms",
  "effective_base_reduction", "effective_icms_rate"]);

// The store's products' fiscal data, by product id.
export async function everyProduct(session) {
  const { products } = await api(session, FISCAL);
  return new Map(products.map((record) => [record.product_id, record]));
}

export function fieldset(record) {
  const shown = (name, value) => (value === null || value === undefined ? ""
    : RATES.has(name) ? String(value).replace(".", ",") : String(value));
  return el("fieldset", { class: "fiscal" },
    el("legend", {}, "Dados fiscais (NFC-e)"),
    TEXT_FIELDS.map(([name, label, placeholder, hint]) => field(label, {
      name: PREFIX + name, value: shown(name, record?.[name]), placeholder, title: hint,
      autocomplete: "off", size: name === "cst" ? 5 : 9,
      inputmode: RATES.has(name) ? "decimal" : "numeric" })),
    select("Origem", `${PREFIX}origin`, ORIGINS, String(record?.origin ?? 0)));
}

// Save what the form says (PUT), unless the product has none and nothing was filled in: the
// answer, or null when there was nothing to save.
export async function save(session, productId, data, record) {
  const body = {};
  for (const [name] of TEXT_FIELDS) {
    const text = String(data.get(PREFIX + name) || "").trim();
    if (text) body[name] = RATES.has(name) ? decimal(text) : text;
  }
  if (!record && !Object.keys(body).length) return null;
  body.origin = Number(data.get(`${PREFIX}origin`));
  return api(session, `${FISCAL}/${productId}`, { method: "PUT", body });
}
