// Money and dates as Brazilians read them.
const BRL = new Intl.NumberFormat("pt-BR", { style: "currency", currency: "BRL" });
const DATE_TIME = new Intl.DateTimeFormat("pt-BR", { dateStyle: "short", timeStyle: "short" });
const TIME = new Intl.DateTimeFormat("pt-BR", { hour: "2-digit", minute: "2-digit" });
const QUANTITY = new Intl.NumberFormat("pt-BR", { maximumFractionDigits: 3 });

// "29.70" (the API's decimal strings) → "R$ 29,70".
export function money(value) {
  return value === null || value === undefined ? "–" : BRL.format(Number(value));
}

export function quantity(value) {
  return QUANTITY.format(Number(value));
}

export function dateTime(value) {
  return value ? DATE_TIME.format(new Date(value)) : "–";
}

export function clock(value) {
  return value ? TIME.format(new Date(value)) : "–";
}

// Seconds → "4:05" (or "1:02:03" past an hour): a ticket's age on a kitchen screen.
export function elapsed(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
}

// "2026-12-01" (a day of the store's calendar, no time) → "01/12/2026".
export function day(value) {
  const [year, month, date] = String(value).split("-");
  return date ? `${date}/${month}/${year}` : "–";
}

// What a cashier types ("12,50", "R$ 1.234,5", "7") → the API's decimal string ("12.50"), or
// null when it is not an amount.
export function parseMoney(text) {
  const cleaned = String(text ?? "").replace(/[R$\s]/g, "");
  const normal = cleaned.includes(",") ? cleaned.replace(/\./g, "").replace(",", ".") : cleaned;
  if (!/^\d+(\.\d{0,2})?$/.test(normal)) return null;
  return Number(normal).toFixed(2);
}

// Decimal strings added and subtracted in cents, so no float drift reaches a total.
export function cents(value) {
  return Math.round(Number(value || 0) * 100);
}

export function fromCents(value) {
  return (value / 100).toFixed(2);
}
