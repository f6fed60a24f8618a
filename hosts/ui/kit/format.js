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
