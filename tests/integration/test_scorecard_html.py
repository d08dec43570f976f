"""The HTML scorecard as a person sees it: rendered by headless Chromium.

A small org is routed for 60 days by `leadrouter simulate` against the real
redis-server (LR_TEST_REDIS_URL), its namespace kept; `scorecard` then writes
the JSON form and the HTML pages (`--out`) of the same tenant and date.
Chromium (Debian's, driven by chromedriver through Selenium) opens them from
disk with every network request blocked and logged, and the test checks the
rendered page, not the HTML text:

- nothing was requested but the file itself (DevTools network log, resource
  timing, no external src/href/url() anywhere in the DOM or the styles);
- every chart (SVG) is there and has a non-zero rendered size;
- the numbers on the page equal the JSON form's: every rep's rank, tier,
  composite, five metric values and next-tier composite; the dots of the
  tier chart; the leaderboards; the teams; on a rep's page its metrics, what
  each alone needs for the next tier and its last history point;
- full-page screenshots at 1200 px and at a 420 px mail-preview width are
  PNGs of exactly that width and the page's height, and not blank; at 420 px
  nothing overflows the page sideways.

No skipping: without chromium or chromedriver the test fails (ops/install-
deps.sh installs them). Screenshots are kept in LR_SCREENSHOT_DIR if set.
"""
import base64
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import lrtest  # noqa: E402
from lrtest import check, fail  # noqa: E402

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
check(os.access(CHROMIUM, os.X_OK), "chromium is not installed (ops/install-deps.sh)")
check(os.access(CHROMEDRIVER, os.X_OK), "chromedriver is not installed (ops/install-deps.sh)")

from PIL import Image  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402

METRICS = ["conversion", "win_rate", "deal_size", "cycle_days", "speed_to_lead"]
AS_OF = "2024-03-01"  # the 60th day of leads of the simulation


def half_up(x):
    return int(math.floor(x + 0.5))


def metric_text(m, v):
    """The scorecard's wording of a metric value (lr_scorecard_metric_text)."""
    if v is None:
        return "-"
    if m == "conversion":
        return "%.2fx" % v
    if m == "win_rate":
        return "%.1f%%" % (v * 100)
    if m == "deal_size":
        cents = half_up(abs(v / 100) * 100)
        return "%s%s.%02d" % ("-" if v < 0 and cents else "", "{:,}".format(cents // 100), cents % 100)
    if m == "cycle_days":
        return "%.1f d" % v
    return "%.1f min" % v


def composite_text(v):
    return "%.3f" % v


def scorecard(ns, *args, check_rc=True):
    return lrtest.run(["scorecard", "--tenant", "sim",
                       "--set", "redis.url=" + lrtest.REDIS_URL,
                       "--set", "redis.namespace=" + ns,
                       "--set", "policy.window_days=180"] + list(args), check_rc=check_rc)


def browser():
    o = Options()
    o.binary_location = CHROMIUM
    for a in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
              "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--disable-default-apps", "--disable-extensions",
              # anything that tries the network goes to a dead proxy
              "--proxy-server=127.0.0.1:9",
              "--user-data-dir=" + tempfile.mkdtemp(prefix="lrchrome-")]:
        o.add_argument(a)
    o.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
    d.execute_cdp_cmd("Network.enable", {})
    d.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["http://*", "https://*", "ws://*", "wss://*", "ftp://*", "data:*"]})
    return d


def open_page(d, path, width):
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                      {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    d.get_log("performance")  # drop what came before
    url = "file://" + path
    d.get(url)
    check(d.execute_script("return document.readyState") == "complete", "page did not load: " + path)
    # nothing requested but the page itself
    for entry in d.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg["method"] in ("Network.requestWillBeSent", "Network.loadingFailed",
                             "Network.webSocketCreated"):
            req = msg["params"].get("request", {}).get("url") or msg["params"].get("url", "")
            check(req in ("", url), "%s requested %s" % (path, req or msg))
    res = d.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    check(res == [], "%s loaded resources: %s" % (path, res))
    ext = d.execute_script("""
        const out = [];
        for (const el of document.querySelectorAll('[src],[srcset],link,script,iframe,object,embed,img,image,use'))
            out.push(el.outerHTML.slice(0, 120));
        for (const a of document.querySelectorAll('a[href]')) {
            const h = a.getAttribute('href');
            if (/^[a-z]+:/i.test(h) || h.startsWith('/')) out.push('link ' + h);
        }
        for (const s of document.styleSheets)
            for (const r of s.cssRules)
                if (/url\\(|@import|@font-face/.test(r.cssText)) out.push(r.cssText.slice(0, 120));
        for (const el of document.querySelectorAll('[style]'))
            if (/url\\(/.test(el.getAttribute('style'))) out.push(el.outerHTML.slice(0, 120));
        return out;""")
    check(ext == [], "%s refers to outside resources: %s" % (path, ext))
    errors = [e for e in d.get_log("browser") if e.get("level") == "SEVERE"]
    check(not errors, "%s: console errors %s" % (path, errors))


def screenshot(d, width, out):
    h = d.execute_script("return document.documentElement.scrollHeight")
    png = base64.b64decode(d.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": h, "scale": 1}})["data"])
    check(png[:8] == b"\x89PNG\r\n\x1a\n", "screenshot is not a PNG")
    img = Image.open(io.BytesIO(png)).convert("RGB")
    check(img.size == (width, h), "screenshot %s, expected %dx%d" % (img.size, width, h))
    check(h > 600, "page only %d px high" % h)
    small = img.resize((width // 4, h // 4))
    colours = small.getcolors(1 << 20) or []
    background = max(colours)[1] if colours else None
    other = sum(n for n, c in colours if c != background)
    check(len(colours) > 40, "screenshot has %d colours: blank?" % len(colours))
    check(other > 0.05 * small.size[0] * small.size[1],
          "screenshot is %.1f%% background: blank?" % (100 - 100.0 * other / (small.size[0] * small.size[1])))
    with open(out, "wb") as f:
        f.write(png)
    return img


def text(el):
    return el.get_attribute("textContent").strip()


def check_charts(d, want):
    sizes = d.execute_script("""return Array.from(document.querySelectorAll('svg.chart')).map(s => {
        const r = s.getBoundingClientRect(); return [s.dataset.chart, r.width, r.height]; })""")
    got = {}
    for name, w, h in sizes:
        check(w > 50 and h > 30, "chart %s rendered %.0fx%.0f" % (name, w, h))
        got[name] = got.get(name, 0) + 1
    check(got == want, "charts %s, expected %s" % (got, want))


def check_tenant_page(d, sc):
    reps = {r["rep_id"]: r for r in sc["reps"]}
    active = [r for r in sc["reps"] if r["active"]]
    check_charts(d, {"distribution": 1, "leaderboard": 5})
    rows = d.find_elements(By.CSS_SELECTOR, "table[data-table=ranking] tr[data-rep]")
    check(sorted(r.get_attribute("data-rep") for r in rows) == sorted(reps), "ranking rows != JSON reps")
    for row in rows:
        r = reps[row.get_attribute("data-rep")]
        check(row.is_displayed(), "row of %s not displayed" % r["rep_id"])

        def cell(k):
            return text(row.find_element(By.CSS_SELECTOR, "[data-k=%s]" % k))
        check(cell("rank") == (str(r["rank"]) if r["active"] else "-"), "rank of %s" % r["rep_id"])
        check(cell("tier") == str(r["tier"]), "tier of %s" % r["rep_id"])
        check(cell("composite") == composite_text(r["composite"]), "composite of %s: %s vs %s" % (r["rep_id"], cell("composite"), r["composite"]))
        for m in METRICS:
            check(cell(m) == metric_text(m, r["metrics"][m]["value"]),
                  "%s of %s: page %s, JSON %s" % (m, r["rep_id"], cell(m), r["metrics"][m]["value"]))
        if r["next_tier_composite"] is not None and not r["ramping"]:
            check(cell("next") == composite_text(r["next_tier_composite"]), "next tier of %s" % r["rep_id"])
    # the tier chart: one dot per active rep, where its composite is
    dots = d.find_elements(By.CSS_SELECTOR, "svg[data-chart=distribution] circle[data-rep]")
    check(len(dots) == len(active), "%d dots for %d reps" % (len(dots), len(active)))
    for dot in dots:
        r = reps[dot.get_attribute("data-rep")]
        check(text(dot).endswith(" " + composite_text(r["composite"])), "dot of %s: %s" % (r["rep_id"], text(dot)))
        rect = dot.rect
        check(rect["width"] > 0 and rect["height"] > 0, "dot of %s not drawn" % r["rep_id"])
    # leaderboards: the JSON's first five, same values
    for m in METRICS:
        bars = d.find_elements(By.CSS_SELECTOR, "svg[data-chart=leaderboard] g[data-metric=%s]" % m)
        want = sc["leaderboards"][m][:5]
        check([b.get_attribute("data-rep") for b in bars] == [w["rep_id"] for w in want],
              "leaderboard %s: %s" % (m, [b.get_attribute("data-rep") for b in bars]))
        for b, w in zip(bars, want):
            check(text(b.find_element(By.CSS_SELECTOR, "[data-k=value]")) == metric_text(m, w["value"]),
                  "leaderboard %s value of %s" % (m, w["rep_id"]))
    teams = d.find_elements(By.CSS_SELECTOR, "table[data-table=teams] tr[data-team]")
    check(len(teams) == len(sc["teams"]) > 0, "teams table")
    for row, t in zip(teams, sc["teams"]):
        check(row.get_attribute("data-team") == t["team"], "team order")
        check(text(row.find_element(By.CSS_SELECTOR, "[data-k=composite]")) == composite_text(t["composite"]),
              "team composite of %s" % t["team"])
    check(text(d.find_element(By.CSS_SELECTOR, ".kpi [data-k=reps]")) == str(len(active)), "reps KPI")
    check(text(d.find_element(By.CSS_SELECTOR, "[data-k=ranking_day]")) == sc["ranking_day"], "ranking day")


def check_rep_page(d, one):
    r = one["reps"][0]
    check_charts(d, {"metrics": 1, "composite": 1, "rank": 1, "tier": 1})
    check(text(d.find_element(By.CSS_SELECTOR, "h1[data-rep]")) == (r["display_name"] or r["rep_id"]), "rep title")
    kpi = {k: text(d.find_element(By.CSS_SELECTOR, ".kpi [data-k=%s]" % k)) for k in ("rank", "tier", "composite", "next")}
    check(kpi["rank"].split()[0] == str(r["rank"]), "rank KPI %s" % kpi["rank"])
    check(kpi["tier"] == str(r["tier"]), "tier KPI")
    check(kpi["composite"] == composite_text(r["composite"]), "composite KPI")
    if r["next_tier_composite"] is not None:
        check(kpi["next"] == composite_text(r["next_tier_composite"]), "next-tier KPI")
    reached = 0
    for m in METRICS:
        row = d.find_element(By.CSS_SELECTOR, "table[data-table=metrics] tr[data-metric=%s]" % m)
        x = r["metrics"][m]
        check(text(row.find_element(By.CSS_SELECTOR, "[data-k=value]")) == metric_text(m, x["value"]), "%s value" % m)
        shown = text(row.find_element(By.CSS_SELECTOR, "[data-k=to_next_tier]"))
        check(shown == (metric_text(m, x["to_next_tier"]) if x["to_next_tier"] is not None else "-"),
              "%s to next tier: page %s, JSON %s" % (m, shown, x["to_next_tier"]))
        reached += x["to_next_tier"] is not None
        chart_value = text(d.find_element(By.CSS_SELECTOR, "svg[data-chart=metrics] [data-k=%s]" % m))
        check(chart_value == metric_text(m, x["value"]), "%s in the chart" % m)
    check(reached > 0, "the rep chosen has no reachable metric")
    check(r["history"], "no history")
    last = text(d.find_element(By.CSS_SELECTOR, "svg[data-chart=composite] [data-k=last]"))
    check(last == composite_text(r["history"][-1]["composite"]) == composite_text(r["composite"]),
          "last history point %s, composite %s" % (last, r["composite"]))


def main():
    ns = lrtest.namespace()
    left = ns + "-sim-ranked-3"
    shots = os.environ.get("LR_SCREENSHOT_DIR") or tempfile.mkdtemp(prefix="lrshots-")
    os.makedirs(shots, exist_ok=True)
    out = tempfile.mkdtemp(prefix="lrscorecard-")
    d = None
    try:
        lrtest.run(["simulate", "--reps", "12", "--days", "60", "--seed", "3",
                    "--strategies", "ranked", "--keep", "--format", "json",
                    "--set", "redis.url=" + lrtest.REDIS_URL, "--set", "redis.namespace=" + ns,
                    "--set", "policy.window_days=180"])
        sc = json.loads(scorecard(left, "--as-of", AS_OF, "--format", "json").stdout)
        check(sc["ranking_day"] == AS_OF and len(sc["reps"]) == 12, "scorecard JSON: %s" % sc.get("ranking_day"))
        r = scorecard(left, "--as-of", AS_OF, "--out", out)
        check(r.stdout.strip() == os.path.join(out, "index.html"), "--out printed %r" % r.stdout)
        pages = sorted(os.listdir(out))
        check(len(pages) == 13 and "index.html" in pages, "pages written: %s" % pages)
        # a rep with something to reach by one metric
        pick = next((x for x in sc["reps"] if x["active"] and x["tier"] > 1 and not x["ramping"]
                     and x["composite"] < (x["next_tier_composite"] or 0)
                     and any(x["metrics"][m]["to_next_tier"] is not None for m in METRICS)), None)
        check(pick is not None, "no rep below tier 1 with a reachable metric")
        one = json.loads(scorecard(left, "--as-of", AS_OF, "--format", "json", "--rep", pick["rep_id"]).stdout)

        d = browser()
        index = os.path.join(out, "index.html")
        open_page(d, index, 1200)
        screenshot(d, 1200, os.path.join(shots, "scorecard-tenant-1200.png"))
        check_tenant_page(d, sc)
        # links are relative and lead to the pages written
        hrefs = set(a.get_attribute("href") for a in d.find_elements(By.CSS_SELECTOR, "a[href]"))
        for h in hrefs:
            check(h.startswith("file://" + out + "/") and os.path.exists(h[len("file://"):]), "link %s" % h)
        check(len(hrefs) == 12, "%d rep links" % len(hrefs))

        open_page(d, index, 420)
        screenshot(d, 420, os.path.join(shots, "scorecard-tenant-420.png"))
        wide = d.execute_script("return document.documentElement.scrollWidth")
        check(wide <= 420, "the page is %d px wide in a 420 px preview" % wide)
        check(d.find_element(By.CSS_SELECTOR, "table[data-table=ranking] tr[data-rep] td.who").is_displayed(),
              "rep names hidden when narrow")

        rep_page = None
        for name in pages:
            with open(os.path.join(out, name)) as f:
                if ('<h1 data-rep="%s">' % pick["rep_id"]) in f.read():
                    rep_page = os.path.join(out, name)
        check(rep_page is not None, "no page for %s" % pick["rep_id"])
        open_page(d, rep_page, 1200)
        screenshot(d, 1200, os.path.join(shots, "scorecard-rep-1200.png"))
        check_rep_page(d, one)
        open_page(d, rep_page, 420)
        screenshot(d, 420, os.path.join(shots, "scorecard-rep-420.png"))
        check(d.execute_script("return document.documentElement.scrollWidth") <= 420, "rep page overflows at 420 px")

        # a date the history cannot answer: said so, non-zero exit
        r = scorecard(left, "--as-of", "2020-01-01", check_rc=False)
        check(r.returncode == 1 and "ranking history" in r.stderr and not r.stdout,
              "--as-of outside the history: rc %d, %r" % (r.returncode, r.stderr))
        r = scorecard(left, "--month", "2019-05", check_rc=False)
        check(r.returncode == 1 and "2019-05" in r.stderr, "--month outside the history: %r" % r.stderr)
        print("screenshots in %s" % shots)
    finally:
        if d:
            d.quit()
        shutil.rmtree(out, ignore_errors=True)
        lrtest.flush_namespace(left)
        lrtest.flush_namespace(ns)
    print("ok")


if __name__ == "__main__":
    main()
