#!/usr/bin/python3
"""The dashboard in headless Chromium, against a running hub-intake and
hub-reporting (started by tests/browser/test_dashboard.sh, which passes the
URL, hubctl and its config).

Opens the page, waits for its EventSource to be connected and for the
health table to show intake up, then submits a help request through intake
with hubctl and waits (no reload) until the live event list shows its id.
Checks that no personal data of the request reached the page, saves a
screenshot, and reads /metrics and /api/*. Every wait has a deadline.
Prints "ok   NAME" / "FAIL NAME: ..." lines; exits 0 when all passed.

Needs Debian's chromium, chromium-driver and python3-selenium (4.8):
deploy/install-deps.sh installs them.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

NAME = "王阿姨"
PHONE = "13800000000"
DESCRIPTION = "独居老人需要助餐，浏览器测试"

checks = 0
fails = 0


def ok(name):
    global checks
    checks += 1
    print("ok   " + name, flush=True)


def fail(name, why):
    global checks, fails
    checks += 1
    fails += 1
    print("FAIL %s: %s" % (name, why), flush=True)


def expect(name, cond, why=""):
    if cond:
        ok(name)
    else:
        fail(name, why or "condition false")
    return cond


def http_get(url, timeout=5):
    """(status, content-type, body text) of a GET; HTTP errors included."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode("utf-8", "replace")


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True, help="the dashboard, e.g. http://127.0.0.1:7380/")
    ap.add_argument("--hubctl", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--profile", required=True, help="a fresh Chromium user data directory")
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds each wait may take")
    a = ap.parse_args()
    base = a.url.rstrip("/")

    try:
        from selenium import webdriver
        from selenium.common.exceptions import TimeoutException, WebDriverException
        from selenium.webdriver.chrome.options import Options
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait
    except ImportError as e:
        fail("selenium", "python3-selenium is missing (%s): run deploy/install-deps.sh" % e)
        return 1
    chromium = find_chromium()
    driver_path = "/usr/bin/chromedriver" if os.access("/usr/bin/chromedriver", os.X_OK) else shutil.which("chromedriver")
    if not chromium or not driver_path:
        fail("chromium", "chromium and chromium-driver are needed: run deploy/install-deps.sh")
        return 1

    opts = Options()
    opts.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--user-data-dir=" + a.profile, "--window-size=1440,1000", "--lang=zh-CN",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # DOMContentLoaded is enough: everything after it is waited for below
    opts.page_load_strategy = "eager"
    try:
        driver = webdriver.Chrome(service=Service(driver_path), options=opts)
    except WebDriverException as e:
        fail("chromium-start", str(e).strip().splitlines()[0] if str(e).strip() else repr(e))
        return 1
    # a loaded machine (tests in parallel) can stall the renderer a while
    driver.set_page_load_timeout(max(60.0, a.timeout))

    def wait(name, cond, why):
        try:
            WebDriverWait(driver, a.timeout, poll_frequency=0.1).until(lambda d: cond(d))
            ok(name)
            return True
        except TimeoutException:
            fail(name, "%s (not within %gs)" % (why, a.timeout))
            return False

    try:
        try:
            driver.get(base + "/")
        except TimeoutException:
            print("     page load slow; waiting on the page itself", flush=True)
        wait("page-title", lambda d: "Hub dashboard" in d.title, "title is %r" % driver.title)
        # a marker that a reload would lose
        driver.execute_script("window.__hubNoReload = 42;")
        if not wait("sse-open", lambda d: d.execute_script("return document.body.dataset.sse") == "open",
                    "the EventSource never opened (body data-sse = %r)"
                    % driver.execute_script("return document.body.dataset.sse")):
            return 1
        # intake's heartbeats reach reporting's monitor: its SUB is connected
        # to intake, so the event of the request below cannot be missed
        if not wait("health-intake-up",
                    lambda d: d.find_elements(By.CSS_SELECTOR, 'tr[data-daemon="intake"][data-up="1"]'),
                    "the health table never showed intake up"):
            return 1

        out = subprocess.run([a.hubctl, "-c", a.config, "submit", "--service", "elderly-care",
                              "--street", "鼓楼街道", "--name", NAME, "--phone", PHONE,
                              "--attr", "care_type=meal", "--description", DESCRIPTION, "--consent",
                              "--contact", "phone", "--channel", "desk", "--message-id", "browser-test-1"],
                             capture_output=True, text=True, timeout=30)
        m = re.match(r"^(R\d{8}-\d{6}) OPEN", out.stdout)
        if not expect("submit", out.returncode == 0 and m,
                      "hubctl submit exit %d: %s%s" % (out.returncode, out.stdout, out.stderr)):
            return 1
        rid = m.group(1)
        print("     submitted " + rid, flush=True)

        sel = 'li[data-request-id="%s"]' % rid
        wait("event-shown", lambda d: d.find_elements(By.CSS_SELECTOR, sel),
             "the live event list never showed %s" % rid)
        rows = driver.find_elements(By.CSS_SELECTOR, sel)
        if rows:
            row = rows[0]
            expect("event-topic", row.get_attribute("data-topic") == "intake.request.accepted",
                   "data-topic is %r" % row.get_attribute("data-topic"))
            expect("event-text", rid in row.text and "鼓楼街道" in row.text, "row text %r" % row.text)
            try:
                ev = json.loads(row.get_attribute("title"))
                expect("event-json", ev.get("request_id") == rid and ev.get("service_code") == "elderly-care"
                       and ev.get("source") == "intake", "title JSON %r" % ev)
            except ValueError:
                fail("event-json", "title is not JSON: %r" % row.get_attribute("title"))
        expect("no-reload", driver.execute_script("return window.__hubNoReload") == 42,
               "the page was reloaded")

        dom = driver.execute_script("return document.documentElement.outerHTML")
        for what, text in (("phone", PHONE), ("name", NAME), ("description", DESCRIPTION)):
            expect("no-" + what, text not in dom, "the page shows the requester's %s" % what)
        up = driver.find_elements(By.CSS_SELECTOR, 'tr[data-daemon="intake"] .badge.up')
        expect("health-badge", bool(up), "intake has no up badge")

        # the figures (reporting applied the event in its store): the tile
        # shows the request ("<5" in the public view) and the charts a bar
        wait("figures-tile", lambda d: d.execute_script(
                 "var t = document.querySelector('.tile[data-figure=\"requests\"] .v');"
                 "return t ? t.textContent : '';") not in ("", "0", "—"),
             "the requests tile never counted the request")
        wait("figures-chart", lambda d: d.find_elements(By.CSS_SELECTOR, "#chart-service svg rect")
             and d.find_elements(By.CSS_SELECTOR, "#chart-street svg rect"),
             "the charts by service and street never showed a bar")

        os.makedirs(os.path.dirname(os.path.abspath(a.screenshot)), exist_ok=True)
        expect("screenshot", driver.save_screenshot(a.screenshot) and os.path.getsize(a.screenshot) > 1000,
               "no screenshot at %s" % a.screenshot)
        print("     screenshot: " + os.path.abspath(a.screenshot), flush=True)

        # script errors or blocked resources (the page must be self-contained)
        try:
            logs = driver.get_log("browser")
        except WebDriverException:
            logs = []
        bad = [l["message"] for l in logs
               if "Uncaught" in l.get("message", "") or "Content Security Policy" in l.get("message", "")]
        expect("no-script-errors", not bad, "; ".join(bad)[:500])
    finally:
        driver.quit()

    status, ctype, body = http_get(base + "/metrics")
    expect("metrics-status", status == 200 and "text/plain" in ctype and "0.0.4" in ctype,
           "HTTP %d, %s" % (status, ctype))
    expect("metrics-up", re.search(r'^hub_up\{daemon="intake"\} 1$', body, re.M) is not None,
           "no hub_up{daemon=\"intake\"} 1 in:\n" + body[:800])
    expect("metrics-type", re.search(r"^# TYPE hub_\w+ (counter|gauge)$", body, re.M) is not None,
           "no # TYPE line")
    expect("metrics-counter", re.search(r'^hub_commands_total\{daemon="intake"\} [1-9]\d*$', body, re.M)
           is not None, "no intake counter")
    expect("metrics-no-pii", PHONE not in body and NAME not in body, "personal data in /metrics")

    status, ctype, body = http_get(base + "/api/health")
    try:
        h = json.loads(body)
        intake = [d for d in h.get("daemons", []) if d.get("name") == "intake"]
        expect("api-health", status == 200 and intake and intake[0].get("up") is True
               and intake[0].get("last_seq", 0) >= 1, "health %r" % h)
    except ValueError:
        fail("api-health", "not JSON: %r" % body[:200])
    status, ctype, body = http_get(base + "/api/figures?figure=nope")
    expect("api-figures-error", status == 400 and '"error":"INVALID_ARGUMENT"' in body,
           "HTTP %d %s" % (status, body[:200]))
    status, ctype, body = http_get(base + "/no/such/page")
    expect("http-404", status == 404, "HTTP %d" % status)
    # exact figures are not for an unauthenticated HTTP client
    status, ctype, body = http_get(base + "/api/figures?figure=summary&public=0")
    expect("api-figures-exact-refused", status == 403 and '"error":"PERMISSION_DENIED"' in body,
           "HTTP %d %s" % (status, body[:200]))
    status, ctype, body = http_get(base + "/api/figures?figure=summary")
    expect("api-figures-public", status == 200 and '"suppressed"' in body, "HTTP %d %s" % (status, body[:200]))
    # only GET and HEAD
    try:
        req = urllib.request.Request(base + "/api/health", data=b"x", method="POST")
        with urllib.request.urlopen(req, timeout=5) as r:
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    expect("http-405", status == 405, "HTTP %d" % status)
    return 0 if fails == 0 else 1


if __name__ == "__main__":
    rc = main()
    print("dashboard_check: %d checks, %d failed" % (checks, fails), flush=True)
    sys.exit(rc)
