"""Browser benchmark: how long each page takes in Chromium, from the click to the page's script finishing.

Starts the app itself on the bundled corpus (``solutions/``) with the real model by default (``KB_MODEL`` unset, as
the README's app command runs it; the first start embeds every record unless ``--db`` gives a database built
before), opens one browser session, picks Kraków on *My city*, then for each page times the action that shows it:
a click in the sidebar (Overview, Search, My city, Match, Abatement cost, District plan, Lessons), a search
result's title (a record), the record's "Estimate it for my city" link (Estimate with a solution chosen), and
Enter in the search box (a query, then the same queries again), and the needs text on Match. It also times the
first page after the server starts, the first search (the model loads; the pages are timed after it, in a steady
state) and the first page of a second browser session (a new visitor). A time runs from the action to
``[data-test-script-state=notRunning]`` after the script ran (a MutationObserver on the app's attribute); each
figure is the median of ``--runs`` runs after one warm-up. Prints the figures and writes bench-results/browser.json.
Not a timed test.
Usage: python tests/benchmarks/bench_browser.py [--runs 5] [--model fake] [--db FILE] [--port P]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.factories import start_streamlit, wait_for_app  # noqa: E402

OUT = ROOT / "bench-results"
CHROMIUM = os.environ.get("KB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
PAGES = ["Overview", "Search", "My city", "Match", "Abatement cost", "District plan", "Lessons"]
QUERIES = ["battery storage for a neighbourhood", "heat pump retrofit", "magazyn energii dla osiedla",
           "district heating from sewage", "solar panels on social housing", "shared electric cars"]
PATHS = {"Overview": "overview", "Search": "search", "My city": "my-city", "Match": "match",
         "Abatement cost": "abatement-cost", "District plan": "district-plan", "Lessons": "lessons"}
NEEDS = ["cut gas use in apartment blocks", "more solar power on roofs", "store electricity for the evening",
         "cheaper heat for old buildings", "fewer cars in the district", "heat from waste water"]
MAIN = "[data-testid=stMain]"
RECORD_QUERY = "neighbourhood battery"  # its first result is a solution record (it has the Estimate link)

WS_HOOK = """(() => { window.__wsLast = 0; const Orig = window.WebSocket;
  window.WebSocket = function (...args) { const ws = new Orig(...args);
    ws.addEventListener('message', () => { window.__wsLast = performance.now(); }); return ws; };
  window.WebSocket.prototype = Orig.prototype; Object.assign(window.WebSocket, Orig); })();"""
"""Notes when the app's last message arrived: a run too quick for the script state to change on screen (React
applies "running" and "notRunning" together) is timed to its last message (the script's end) instead."""

ARM = """() => { window.__benchMs = undefined; window.__bench = new Promise((resolve) => {
  const app = document.querySelector('[data-testid=stApp]');
  const t0 = performance.now();
  let ran = false;
  const obs = new MutationObserver((records) => {
    for (const r of records) { if (r.oldValue === 'running') { ran = true; } }
    const s = app.getAttribute('data-test-script-state');
    if (s === 'running') { ran = true; }
    else if (ran && s === 'notRunning') { obs.disconnect(); resolve(performance.now() - t0); }
  });
  obs.observe(app, {attributes: true, attributeOldValue: true, attributeFilter: ['data-test-script-state']});
  const quiet = () => {  // 5 s without a state change while notRunning: a run too quick to show, or none
    if (ran || app.getAttribute('data-test-script-state') !== 'notRunning') { setTimeout(quiet, 1000); return; }
    obs.disconnect(); resolve(window.__wsLast > t0 ? window.__wsLast - t0 : -1);
  };
  setTimeout(quiet, 5000);
  setTimeout(() => { obs.disconnect(); resolve(-1); }, 110000);
}).then((ms) => { window.__benchMs = ms; }); }"""
"""From the action to the script state's return to notRunning after a run; when the state stays notRunning for 5 s,
to the app's last message (-1, left out of the medians, when none came or after 110 s)."""


def timed(page: Page, action: Any) -> float:
    """Milliseconds from ``action()`` to the end of the script run it started."""
    wait_for_app(page)
    page.evaluate(ARM)
    action()
    # polled rather than awaited: Playwright fails an awaited promise that the page lets go ("garbage collected")
    page.wait_for_function("window.__benchMs !== undefined", polling=50, timeout=120_000)
    ms = float(page.evaluate("window.__benchMs"))
    wait_for_app(page)
    page.wait_for_timeout(300)  # a rerun the page asks for (st.rerun) settles before the next action
    return ms


def nav(page: Page, title: str) -> None:
    page.locator("[data-testid=stSidebarNav] a").filter(has_text=title).first.click()


def go(page: Page, title: str) -> None:
    """Open a page and wait for its script run to end (``wait_for_app`` alone can return before the run starts,
    and the next locator would then find the previous page's elements); nothing when it is already open."""
    path = page.url.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
    if PATHS.get(title) == path or (title == "Overview" and ":" in path):  # the root URL shows the Overview
        return
    timed(page, lambda: nav(page, title))


def search(page: Page, query: str) -> None:
    box = page.locator(f"{MAIN} [data-testid=stTextInput] input").first
    box.fill(query)
    box.press("Enter")


def choose_city(page: Page, name: str) -> None:
    go(page, "My city")
    box = page.locator(f"{MAIN} [data-testid=stSelectbox]").first  # the sidebar has the language picker
    box.click()
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    wait_for_app(page)
    page.locator(f"{MAIN} h3").filter(has_text=name).first.wait_for()  # chosen: the city's drivers are shown


def measure(page: Page, runs: int) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}

    def record(name: str, times: list[float]) -> None:
        seen = [t for t in times if t >= 0]  # -1: no script run seen (one too quick to show its state), left out
        out[name] = {"median_ms": round(statistics.median(seen)) if seen else -1, "runs_ms": [round(t) for t in times]}
        print(f"{name:34s} median {out[name]['median_ms']:6d} ms  runs {out[name]['runs_ms']}", flush=True)

    for title in PAGES:
        other = "Search" if title == "Overview" else "Overview"
        times = []
        for i in range(runs + 1):
            go(page, other)
            t = timed(page, lambda title=title: nav(page, title))  # type: ignore[misc]
            if i:
                times.append(t)
        record(f"page: {title}", times)
    go(page, "Search")
    times = [timed(page, lambda q=q: search(page, q)) for q in QUERIES[:runs + 1]]  # type: ignore[misc]
    record("search: Enter to results", times[1:])
    times = [timed(page, lambda q=q: search(page, q)) for q in QUERIES[1:runs + 1]]  # type: ignore[misc]
    record("search: a query asked before", times)
    go(page, "Match")
    needs = page.locator(f"{MAIN} [data-testid=stTextInput] input").first
    times = []
    for i, text in enumerate(NEEDS[:runs + 1]):
        t = timed(page, lambda text=text: (needs.fill(text), needs.press("Enter")))  # type: ignore[misc]
        if i:
            times.append(t)
    record("match: needs text to ranking", times)
    rec_times, est_times = [], []
    for i in range(runs + 1):
        go(page, "Search")
        search(page, RECORD_QUERY)  # the page shows no result before: the link below waits for the answer
        link = page.locator(f"{MAIN} [class*='st-key-hit_0'] [data-testid=stPageLink] a").first  # the first result
        t_rec = timed(page, link.click)
        estimate = page.locator("[data-testid=stPageLink] a").filter(has_text="Estimate it for my city").first
        t_est = timed(page, estimate.click)
        if i:
            rec_times.append(t_rec)
            est_times.append(t_est)
    record("page: a record (from a result)", rec_times)
    record("page: Estimate, solution chosen", est_times)
    return out


def new_visitor(browser: Any, url: str, runs: int) -> dict[str, Any]:
    """The first page of a new browser session on a warm server (a new visitor): from ``goto`` to the end of the
    first script run, median of ``runs`` sessions."""
    times = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        t0 = time.perf_counter()
        page.goto(url)
        page.locator(f"{MAIN} h1").first.wait_for()  # the page drawn (the script state starts as notRunning)
        wait_for_app(page)
        times.append((time.perf_counter() - t0) * 1000)
        context.close()
    out = {"median_ms": round(statistics.median(times)), "runs_ms": [round(t) for t in times]}
    print(f"{'first page, new visitor':34s} median {out['median_ms']:6d} ms  runs {out['runs_ms']}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--model", default=None, help="KB_MODEL for the app (default: unset, the bundled model)")
    ap.add_argument("--db", type=Path, default=None, help="start from a copy of this database (already ingested)")
    ap.add_argument("--port", type=int, default=None, help="the app's port (default: a free one)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="kb-bench-browser-"))
    if args.db:
        shutil.copy(args.db, tmp / "kb.sqlite")
    env: dict[str, str | None] = {"KB_MODEL": args.model, "KB_SOLUTIONS_DIR": str(ROOT / "solutions")}
    try:
        with start_streamlit(ROOT / "app.py", tmp, env, timeout=300, port=args.port) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.add_init_script(WS_HOOK)
            page.set_default_timeout(300_000)
            t0 = time.perf_counter()
            page.goto(url)
            wait_for_app(page, timeout=600_000)
            first = round((time.perf_counter() - t0) * 1000)
            print(f"first page (includes the start-up ingest when the database is new): {first} ms", flush=True)
            choose_city(page, "Krak")
            go(page, "Search")
            first_search = timed(page, lambda: search(page, "energy storage"))  # loads the model: not in the medians
            print(f"first search after start: {round(first_search)} ms", flush=True)
            figures = measure(page, args.runs)
            second = new_visitor(browser, url, args.runs)
            browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    result = {"model": args.model or "all-MiniLM-L6-v2 (bundled)", "runs": args.runs, "first_page_ms": first,
              "first_search_ms": round(first_search), "new_visitor_first_page_ms": second,
              "cpu_count": os.cpu_count(), "figures": figures}
    OUT.mkdir(exist_ok=True)
    (OUT / "browser.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
