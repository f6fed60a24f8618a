// The menu: categories, products — prices, availability, images, the options they ask, and with
// the fiscal plugin their fiscal data — and the options' groups, through the catalog API (and the
// fiscal plugin's).
import { api, el, loadedPlugins, money, table } from "/ui/kit/index.js";
import * as fiscal from "./fiscal.js";
import * as modifiers from "./modifiers.js";
import { card, decimal, everything, field, form, select, state, submit } from "./parts.js";

const IMAGE_SIZE = 160;  // px: enough for a POS button, small enough to keep the menu light
let justAdded = null;  // a product added with the fiscal plugin loaded: its editor opens next

export async function show(page, view) {
  const [categories, products, groups, plugins] = await Promise.all([
    everything(page.session, "/categories"), everything(page.session, "/products"),
    everything(page.session, modifiers.GROUPS), loadedPlugins()]);
  // The products' fiscal data by product id (null: no fiscal plugin here).
  const taxes = plugins.has("fiscal") ? await fiscal.everyProduct(page.session) : null;
  const menu = { categories, groups, taxes };
  const editor = el("div");
  const edit = (node) => { editor.replaceChildren(node); node.scrollIntoView({ block: "nearest" }); };
  view.replaceChildren(
    editor,
    card("Produtos", productForm(page, menu), productTable(page, menu, products, edit)),
    modifiers.section(page, groups, products, edit),
    card("Categorias", categoryForm(page), categoryTable(page, categories, edit)));
  const added = products.find((p) => p.product_id === justAdded);
  justAdded = null;
  if (added) edit(card(`Editar ${added.name}`, productForm(page, menu, added)));
}

// --- categories ---------------------------------------------------------------------------------

function categoryForm(page, category = null) {
  return form(category ? "category-edit" : "category-new",
              category ? "Salvar categoria" : "Adicionar categoria", async (data) => {
    const body = { name: data.get("name"), description: data.get("description") || null };
    const path = category ? `/categories/${category.category_id}` : "/categories";
    if (await page.act(() => api(page.session, path, { method: category ? "PATCH" : "POST", body }),
                       `Categoria “${body.name}” salva`)) page.reload();
  }, field("Nome", { name: "name", required: true, maxlength: 50, value: category?.name }),
     field("Descrição", { name: "description", value: category?.description }, true));
}

function categoryTable(page, categories, edit) {
  return table([{ title: "Categoria" }, { title: "Situação" }, { title: "Ações" }],
    categories.map((c) => ({ attrs: { dataset: { category: c.name } }, cells: [
      c.name, state(c.active, "ativa", "inativa"),
      el("span", { class: "actions" },
         el("button", { type: "button", onclick: () => edit(card(`Editar ${c.name}`,
                                                                 categoryForm(page, c))) },
            "Editar"),
         activeToggle(page, `/categories/${c.category_id}`, c, "Desativar", "Ativar"))] })),
    { id: "categories" });
}

function activeToggle(page, path, row, off, on) {
  return el("button", { type: "button", class: row.active ? "danger" : null, onclick: async () => {
    if (await page.act(() => api(page.session, path, { method: "PATCH",
                                                       body: { active: !row.active } }),
                       `${row.name}: ${row.active ? "indisponível" : "disponível"}`)) page.reload();
  } }, row.active ? off : on);
}

// --- products -----------------------------------------------------------------------------------

function productForm(page, menu, product = null) {
  const { categories, groups, taxes } = menu;
  const taxed = taxes && product ? taxes.get(product.product_id) : undefined;
  const image = el("input", { type: "hidden", name: "image_url",
                              value: product?.metadata?.image_url || "" });
  const preview = el("img", { class: "thumb", alt: "", hidden: !image.value, src: image.value || null });
  const picker = el("input", { type: "file", accept: "image/*", "aria-label": "Imagem do produto",
                               onchange: async () => {
    if (!picker.files[0]) return;
    image.value = await shrink(picker.files[0]);
    preview.src = image.value;
    preview.hidden = false;
  } });
  const options = [["", "Sem categoria"], ...categories.filter((c) => c.active || c.category_id
    === product?.category_id).map((c) => [c.category_id, c.name])];
  return form(product ? "product-edit" : "product-new",
              product ? "Salvar produto" : "Adicionar produto", async (data, node) => {
    const body = {
      name: data.get("name"), price: decimal(data.get("price")),
      category_id: data.get("category_id") || null,
      description: data.get("description") || null,
      active: data.get("active") === "on",
      metadata: { ...(product?.metadata || {}), image_url: data.get("image_url") || null },
      modifier_group_ids: data.getAll("modifier_group_ids"),
    };
    const path = product ? `/products/${product.product_id}` : "/products";
    const done = `Produto “${body.name}” salvo`;
    // The fiscal data first: a value the fiscal plugin refuses leaves the product as it was.
    if (taxes && product && !await submit(page, node, () => fiscal.save(
      page.session, product.product_id, data, taxed), done, fiscal.PREFIX)) return;
    const saved = await submit(page, node, () => api(page.session, path, {
      method: product ? "PATCH" : "POST", body }), done);
    if (!saved) return;
    if (taxes && !product) justAdded = saved.product_id;
    const message = justAdded ? `${done}; preencha os dados fiscais` : done;
    await page.reload(message);
  },
  field("Nome", { name: "name", required: true, maxlength: 100, value: product?.name }, true),
  select("Categoria", "category_id", options, product?.category_id || ""),
  field("Preço (R$)", { name: "price", required: true, inputmode: "decimal", size: 8,
                        pattern: "[0-9]+([.,][0-9]{1,2})?", value: product?.price }),
  field("Descrição", { name: "description", value: product?.description }, true),
  el("label", {}, "Imagem", el("span", { class: "actions" }, preview, picker)), image,
  el("label", {}, "Disponível", el("input", { type: "checkbox", name: "active",
                                              checked: product ? product.active : true })),
  modifiers.chooser(groups, product),
  taxes && product ? fiscal.fieldset(taxed) : "");
}

function productTable(page, menu, products, edit) {
  const { categories, taxes } = menu;
  const names = new Map(categories.map((c) => [c.category_id, c.name]));
  const ncm = (p) => (taxes ? [taxes.get(p.product_id)?.ncm || "— sem dados fiscais"] : []);
  return table([{ title: "" }, { title: "Produto" }, { title: "Categoria" },
                { title: "Preço", num: true }, { title: "Opções" },
                ...(taxes ? [{ title: "NCM" }] : []),
                { title: "Situação" }, { title: "Ações" }],
    products.map((p) => ({ attrs: { dataset: { product: p.name } }, cells: [
      p.metadata?.image_url ? el("img", { class: "thumb", alt: "", src: p.metadata.image_url }) : "",
      p.name, names.get(p.category_id) || "—", money(p.price), modifiers.groupNames(p),
      ...ncm(p),
      state(p.active, "disponível", "indisponível"),
      el("span", { class: "actions" },
         el("button", { type: "button", onclick: () => edit(card(`Editar ${p.name}`,
                                                                 productForm(page, menu, p))) },
            "Editar"),
         activeToggle(page, `/products/${p.product_id}`, p, "Indisponível", "Disponível"))] })),
    { id: "products" });
}

// A photo made small (a JPEG data URL): stored with the product, shown with no other server.
async function shrink(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, IMAGE_SIZE / Math.max(bitmap.width, bitmap.height));
  const canvas = Object.assign(document.createElement("canvas"), {
    width: Math.round(bitmap.width * scale), height: Math.round(bitmap.height * scale) });
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL("image/jpeg", 0.7);
}
