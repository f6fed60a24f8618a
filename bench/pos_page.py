"""The cashier's page (issue 18): first load on the embedded server, a tap on a product to the
cart redrawn, and a search over 1,000 products — measured in headless Chromium with
performance.now() in the page.

Starts `pos serve` with every plugin on SQLite (the embedded default), makes a tenant and a menu
of `--products` products in 20 categories through the API, signs a cashier in, then:

* first load: the sign-in screen in a new browser context (empty cache, new renderer), and a
  reload of the signed-in page until the product grid is drawn with the whole catalog (the page
  sets `window.posReadyAt`, time since the navigation started), with the cache on and off;
* tap: a click on a product button until the cart's list and totals are redrawn and laid out
  (synchronous work plus a forced layout), and until the next frame;
* search: typing a query (an `input` event) until the grid is redrawn and laid out.

    .venv/bin/python bench/pos_page.py [--products 1000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from support.api import Api, make_tenant  # noqa: E402
from support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from support.server import serving  # noqa: E402
from support.settings import make_settings  # noqa: E402
from support.till import sign_in  # noqa: E402

WORDS = ["X-Burger", "Pastel", "Suco", "Guaraná", "Pão de queijo", "Coxinha", "Açaí", "Café",
         "Tapioca", "Misto", "Pudim", "Salada", "Frango", "Picanha", "Cerveja", "Água"]
QUERIES = ["x", "pa", "suco", "pão de", "coxinha 12", "açai", "cafe 3", "zzz", "fr", "agua 9"]

TAP = """async (index) => {
  const buttons = document.querySelectorAll("#products button");
  const button = buttons[index % buttons.length];
  const start = performance.now();
  button.click();
  document.body.offsetHeight;  // layout of the redrawn cart
  const laidOut = performance.now() - start;
  await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
  return [laidOut, performance.now() - start];
}"""

SEARCH = """(query) => {
  const input = document.getElementById("search");
  const start = performance.now();
  input.value = query;
  input.dispatchEvent(new Event("input"));
  document.body.offsetHeight;
  const took = performance.now() - start;
  return [took, document.querySelectorAll("#products button").length];
}"""


def make_catalog(staff: Api, count: int) -> None:
    categories = []
    for n in range(20):
        made = staff.post("/api/v1/categories", json={"name": f"Categoria {n + 1}"})
        categories.append(made.json()["category_id"])

    def product(n: int) -> None:
        made = staff.post("/api/v1/products", json={
            "name": f"{WORDS[n % len(WORDS)]} {n + 1}", "price": f"{5 + n % 40}.90",
            "category_id": categories[n % len(categories)],
            "metadata": {"barcode": f"789{n:010d}"}})
        assert made.status_code == 201, made.text

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(product, range(count)))


def figures(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (f"{name:<40} min {min(values):7.1f}  median {statistics.median(values):7.1f}  "
            f"p95 {p95:7.1f}  max {max(values):7.1f} ms  (n={len(values)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pos-page-bench-"))
    database_url = f"sqlite+aiosqlite:///{tmp / 'var' / 'pos.db'}"
    tenant = make_tenant(make_settings(database_url, tmp))
    env = {"DATABASE_URL": database_url, "POS_DATA_DIR": str(tmp / "var")}
    with serving(env, cwd=tmp) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        staff = Api(client, tenant)
        started = time.monotonic()
        make_catalog(staff, args.products)
        print(f"catalog: {args.products} products in 20 categories "
              f"({time.monotonic() - started:.1f} s through the API)")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            signin, loads = [], []
            for _ in range(args.runs):
                context = browser.new_context(viewport={"width": 1300, "height": 1000})
                page = context.new_page()
                page.goto(server.url + "/pos/")
                page.wait_for_selector("#login-form")
                signin.append(page.evaluate("performance.now()"))
                context.close()
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            cdp = page.context.new_cdp_session(page)
            signin_uncached = []
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            for _ in range(args.runs):
                page.goto(server.url + "/pos/")
                page.wait_for_selector("#login-form")
                signin_uncached.append(page.evaluate("performance.now()"))
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
            sign_in(page, server.url, staff)
            for _ in range(args.runs):
                page.reload()
                page.wait_for_selector("body[data-ready=true]")
                loads.append(page.evaluate("window.posReadyAt"))
            # The same signed-in load with the browser's cache off: every module fetched again.
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            uncached = []
            for _ in range(args.runs):
                page.reload()
                page.wait_for_selector("body[data-ready=true]")
                uncached.append(page.evaluate("window.posReadyAt"))
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
            shown = page.locator("#products button").count()
            taps, frames = [], []
            for index in range(60):
                laid_out, framed = page.evaluate(TAP, index * 7)
                taps.append(laid_out)
                frames.append(framed)
                if index % 20 == 19:
                    page.click("#clear")
            searches, found = [], []
            for _ in range(3):
                for query in QUERIES:
                    took, count = page.evaluate(SEARCH, query)
                    searches.append(took)
                    found.append(count)
            browser.close()
    print(figures("sign-in screen, new browser context", signin))
    print(figures("sign-in screen, same tab, cache off", signin_uncached))
    print(figures(f"signed-in reload, {args.products} products drawn", loads))
    print(figures("the same with the browser cache off", uncached))
    print(figures("tap → cart redrawn and laid out", taps))
    print(figures("tap → next frame", frames))
    print(figures(f"search over {args.products} products (grid ≤ 120)", searches))
    print(f"grid buttons drawn at load: {shown}; per query: {found[:len(QUERIES)]}")
    print(f"load average at the end: {' '.join(f'{v:.1f}' for v in os.getloadavg())} "
          f"on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
