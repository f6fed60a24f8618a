// Building DOM nodes without a framework: el("button", {class: "big", onclick: f}, "Texto").
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export const $ = (id) => document.getElementById(id);

// A table: headers [{title, num}] (num: right-aligned figures), rows of cells (text or nodes).
export function table(headers, rows, attrs = {}) {
  const cell = (tag, value, num) => el(tag, { class: num ? "num" : null }, value);
  return el("table", { class: "grid", ...attrs },
    el("thead", {}, el("tr", {}, headers.map((h) => cell("th", h.title, h.num)))),
    el("tbody", {}, rows.map((row) => el("tr", row.attrs || {},
      (row.cells || row).map((value, index) => cell("td", value, headers[index].num))))));
}
