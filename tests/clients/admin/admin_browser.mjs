// The admin dashboard (/admin on the control port) in headless Chromium, as an admin uses it:
// data requests without the token are refused, a wrong token is refused on the page, the
// right one (read from the data directory) signs in; the admin creates an event through the
// form (a bad slug first, which the server's message marks next to the field), rotates its
// stream key, edits and deletes an event, and watches the plots move while a viewer plays the
// test stream and chats. Nothing on the page logs an error or fails a request beyond the two
// refusals the test asks for. Screenshots (desktop and phone) are kept in the test artifacts;
// THRONG_UPDATE_DOCS=1 also copies them to docs/screenshots/.
//
// Run by ctest as admin_browser_test; by hand from tests/clients (after scripts/setup.sh has
// built web/assets/admin.js):
//   THRONG_BINARY=../../build/dev/src/cli/throng \
//     node --experimental-websocket --test admin/admin_browser.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { xml } from "@xmpp/client";
import { startThrong } from "../throng_server.mjs";
import { mucClients, MUC_NS, statusCodes } from "../muc_client.mjs";

const artifactDir =
  process.env.THRONG_ARTIFACT_DIR ??
  fileURLToPath(new URL("../../../build/dev/test-artifacts", import.meta.url));
const docsDir = fileURLToPath(new URL("../../../docs/screenshots", import.meta.url));
const ROOM = "demo@rooms.localhost";
const SAMPLE_MS = 1000;

let server, browser, context, viewerContext, page, clients, control;
const browserLog = [];
const problems = [];  // console errors and failed requests: a clean run has none...
// ...except the refusals a step asks for: [pattern, how many may still come].
const expected = [];
const record = (line) => browserLog.push(`${new Date().toISOString().slice(11, 23)} ${line}`);

function problem(text) {
  const allowance = expected.find(([pattern, left]) => left > 0 && pattern.test(text));
  if (allowance) allowance[1]--;
  else problems.push(text);
}
// The browser reports a refused request twice: the response, and a console error.
function expectRefusal(status, path) {
  expected.push([new RegExp(`^HTTP ${status}: .*${path}$`), 1]);
  expected.push([new RegExp(`^console error: Failed to load resource: .*status of ${status}`), 1]);
}

async function waitFor(what, ms, probe) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function admin(path, options = {}) {
  const response = await fetch(`${control}${path}`, {
    ...options,
    headers: { authorization: `Bearer ${server.adminToken}`, "content-type": "application/json",
               ...options.headers },
  });
  return response;
}

// The last value of a history column the page holds, and how many rows it has.
const column = (name) => page.evaluate((n) => {
  const rows = window.admin.plots.rows;
  const values = rows.columns.get(n);
  return { rows: rows.ts.length, last: values[values.length - 1], max: Math.max(0, ...values),
           lastTs: rows.ts[rows.ts.length - 1] };
}, name);

before(async () => {
  mkdirSync(artifactDir, { recursive: true });
  server = await startThrong({
    events: ["demo"],
    toml: ["[metrics]", `sample_interval_ms = ${SAMPLE_MS}`,
           "[test_source]", "enabled = true", 'event = "demo"', 'codec = "vp8"',
           "width = 320", "height = 180", "video_bitrate_kbps = 300"],
  });
  control = `http://127.0.0.1:${server.ready.control.port}`;
  clients = mucClients(server);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    timeout: 30_000,
    args: ["--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(20_000);
  await context.route(/^(?!(https?|wss?):\/\/127\.0\.0\.1[:/])/, (route) => {
    problems.push(`request outside the server: ${route.request().url()}`);
    return route.abort();
  });
  page = await context.newPage();
  page.on("console", (msg) => {
    record(`[${msg.type()}] ${msg.text()}`);
    if (msg.type() === "error") problem(`console error: ${msg.text()}`);
  });
  page.on("pageerror", (error) => {
    record(`[pageerror] ${error.stack ?? error}`);
    problem(`page error: ${error.message}`);
  });
  page.on("requestfailed", (request) => problem(`failed: ${request.url()}`));
  page.on("response", (response) => {
    if (response.status() >= 400) problem(`HTTP ${response.status()}: ${response.url()}`);
  });
});

after(async () => {
  writeFileSync(join(artifactDir, "admin-browser.log"), browserLog.join("\n") + "\n");
  await clients?.closeAll();
  await browser?.close().catch(() => {});
  await server?.stop();
});

test("the admin API and the dashboard's data refuse requests without the admin token", async () => {
  for (const path of ["/api/events", "/api/metrics/history", "/api/server"]) {
    const anonymous = await fetch(`${control}${path}`);
    assert.equal(anonymous.status, 401, path);
    const wrong = await fetch(`${control}${path}`, { headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 401, path);
  }
  // The page itself is static and holds no data.
  const html = await fetch(`${control}/admin`);
  assert.equal(html.status, 200);
  const text = await html.text();
  assert.match(text, /Admin token/);
  assert.ok(!text.includes(server.adminToken));
});

test("an admin signs in, manages events and watches the plots move", async () => {
  try {
    await page.goto(`${control}/admin`);
    await page.waitForSelector("#token:focus");

    // A wrong token: refused, said on the page, nothing kept.
    expectRefusal(401, "/api/server");
    await page.keyboard.type("not-the-token");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#signin-error:has-text('not the admin token')");
    assert.equal(await page.isVisible("#dashboard"), false);
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);

    // The token from the data directory.
    await page.fill("#token", server.adminToken);
    await page.press("#token", "Enter");
    await page.waitForSelector("#dashboard:not([hidden])");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("throng-admin-token")),
                 server.adminToken);
    assert.equal(await page.evaluate(() => localStorage.length), 0, "nothing outlives the tab");
    await page.waitForSelector("#fact-health:has-text('ok')");
    assert.equal(await page.textContent("#fact-version"), "0.1.0");
    assert.equal(await page.textContent("#fact-workers"), "2");
    // The test stream's event is live.
    await page.waitForSelector("#event-demo .badge.live");

    // A bad slug: the server's reason next to the slug field, which gets the focus.
    expectRefusal(400, "/api/events");
    await page.fill("#new-slug", "Launch Party!");
    await page.fill("#new-title", "Launch party");
    await page.fill("#new-description", "The first event made on the dashboard.");
    await page.press("#new-title", "Enter");
    await page.waitForSelector("#new-slug-error:has-text('only a-z, 0-9')");
    assert.equal(await page.getAttribute("#new-slug", "aria-invalid"), "true");
    assert.equal(await page.evaluate(() => document.activeElement.id), "new-slug");

    // Fixed, with the keyboard: the event is created and its stream key shown.
    await page.fill("#new-slug", "launch-party");
    await page.press("#new-slug", "Enter");
    await page.waitForSelector("#event-launch-party .key-value");
    const stored = await (await admin("/api/events/launch-party")).json();
    assert.equal(stored.title, "Launch party");
    const key = await page.inputValue("#event-launch-party .key-value");
    assert.equal(key, stored.stream_key);
    assert.equal(await page.getAttribute("#event-launch-party .key-value", "type"), "password");
    assert.equal(await page.inputValue("#event-launch-party .whip-url"),
                 `${server.ready.url}whip/launch-party`);
    assert.equal(await page.textContent("#new-slug-error"), "");

    // Rotate the key: confirmed in a dialog, the key shown changes to the stored one.
    await page.focus("#event-launch-party [data-focus-key='launch-party/rotate']");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#confirm[open]");
    await page.click("#confirm-ok");
    await waitFor("the new key", 5000, async () =>
      (await page.inputValue("#event-launch-party .key-value")) !== key);
    const rotated = await (await admin("/api/events/launch-party")).json();
    assert.notEqual(rotated.stream_key, key);
    assert.equal(await page.inputValue("#event-launch-party .key-value"), rotated.stream_key);

    // Edit the title.
    await page.click("#event-launch-party [data-focus-key='launch-party/edit']");
    await page.fill("#event-launch-party-edit-title", "Launch party (doors at 8)");
    await page.press("#event-launch-party-edit-title", "Enter");
    await page.waitForSelector("#event-launch-party h3:has-text('doors at 8')");
    assert.equal((await (await admin("/api/events/launch-party")).json()).title,
                 "Launch party (doors at 8)");

    // Delete another event; Escape first says no.
    assert.equal((await admin("/api/events", { method: "POST",
      body: JSON.stringify({ slug: "rehearsal", title: "Rehearsal" }) })).status, 201);
    await waitFor("the other event listed", 15_000, () => page.isVisible("#event-rehearsal"));
    await page.click("#event-rehearsal [data-focus-key='rehearsal/delete']");
    await page.waitForSelector("#confirm[open]");
    await page.keyboard.press("Escape");
    await page.waitForSelector("#confirm[open]", { state: "detached" });
    assert.equal((await admin("/api/events/rehearsal")).status, 200);
    await page.click("#event-rehearsal [data-focus-key='rehearsal/delete']");
    await page.click("#confirm-ok");
    await page.waitForSelector("#event-rehearsal", { state: "detached" });
    assert.equal((await admin("/api/events/rehearsal")).status, 404);

    // Someone watches and chats: the watch page plays the test stream (a WebRTC viewer and a
    // chat occupant), another occupant talks.
    viewerContext = await browser.newContext({ viewport: { width: 640, height: 480 } });
    const viewer = await viewerContext.newPage();
    await viewer.goto(`http://127.0.0.1:${server.ready.http.port}/live/demo`);
    const talker = await clients.viewer();
    await talker.xmpp.send(xml("presence", { to: `${ROOM}/Talker` }, xml("x", { xmlns: MUC_NS })));
    await talker.waitFor((s) => s.is("presence") && statusCodes(s).includes(110), "joined");
    const talking = setInterval(() => {
      talker.xmpp.send(xml("message", { to: ROOM, type: "groupchat" },
                           xml("body", {}, `hello at ${Date.now()}`))).catch(() => {});
    }, 250);
    try {
      // The plots move: rows arrive at each sample, and the new series show the audience.
      const first = await column("cpu_percent");
      await waitFor("two more samples", 10_000, async () =>
        (await column("cpu_percent")).rows >= first.rows + 2);
      const later = await column("cpu_percent");
      assert.ok(later.lastTs > first.lastTs, "the last timestamp advances");
      const points = await page.evaluate(() => window.admin.plots.charts.get("cpu").data[0].length);
      assert.equal(points, later.rows, "the chart draws every row");
      await waitFor("a viewer on the plot", 20_000, async () =>
        (await column("webrtc_viewers")).last >= 1);
      await waitFor("occupants on the plot", 10_000, async () =>
        (await column("chat_occupants")).last >= 2);
      await waitFor("messages on the plot", 10_000, async () =>
        (await column("chat_messages_per_second")).last > 0);
      await waitFor("deliveries on the plot", 10_000, async () =>
        (await column("chat_deliveries_per_second")).last > 0);
      await waitFor("bitrate on the plot", 10_000, async () =>
        (await column("webrtc_bits_per_second")).last > 50_000);
      assert.ok((await column("rss_bytes")).last > 1e6);
      assert.ok((await column("loop_lag_max_ms")).last >= 0);
      await page.waitForSelector("#event-demo .viewers:has-text('1 viewer')");
      await page.waitForSelector("#fact-viewers:has-text('1')");
      await page.waitForTimeout(4 * SAMPLE_MS);  // a few more points for the screenshots
    } finally {
      clearInterval(talking);
    }

    // The pictures show an event's key panel (the key masked) with its WHIP URL.
    await page.click("#event-launch-party [data-focus-key='launch-party/key']");
    await page.waitForSelector("#event-launch-party .whip-url");
    await page.screenshot({ path: join(artifactDir, "admin-dashboard.png"), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(500);
    const overflow = await page.evaluate(() =>
      document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the phone layout scrolls sideways by ${overflow}px`);
    await page.screenshot({ path: join(artifactDir, "admin-dashboard-phone.png"), fullPage: true });
    if (process.env.THRONG_UPDATE_DOCS === "1") {
      mkdirSync(docsDir, { recursive: true });
      for (const name of ["admin-dashboard.png", "admin-dashboard-phone.png"]) {
        copyFileSync(join(artifactDir, name), join(docsDir, name));
      }
    }

    // Sign out: the token leaves the tab and the data with it.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.click("#sign-out");
    await page.waitForSelector("#signin:not([hidden])");
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.equal(await page.isVisible("#dashboard"), false);

    assert.deepEqual(problems, [], "a clean run logs no error and no failed request");
    assert.deepEqual(expected.filter(([, left]) => left > 0), [], "the refusals asked for");
  } catch (error) {
    console.log(browserLog.join("\n"));
    console.log(server.log().slice(-4000));
    throw error;
  }
});
