// Simulcast (RFC 8853) end to end in two headless Chromiums (Debian's chromium, driven by
// playwright-core), against the real throng binary on loopback:
//
//  - the studio's "Send three qualities" choice is off by default and remembered; a server
//    admin goes live from /studio/demo with it on: Chromium's fake camera (1280×720) is sent as
//    three VP8 layers, rids l (320×180), m (640×360) and h (1280×720), through WHIP;
//  - a viewer in another Chromium watches through WHEP (web/player.html): the answer links to
//    its layer resource, which lists the three layers lowest first; pinning l brings 320-wide
//    frames within 5 s and they keep coming, pinning h brings 1280, "auto" hands the choice
//    back to throng, all on the same RTCPeerConnection; bad requests get 400 and 404;
//  - the watch page (/live/demo) shows a Quality menu (Auto, 720p, 360p, 180p), reached with
//    Tab; choosing 180p with the arrow keys shrinks the video; the streamer goes live again in
//    one quality and the menu goes, in three and it comes back, on the same connection;
//  - no page logs a console error.
// Screenshots of the watch page with its menu and of the studio are kept in the test
// artifacts.
//
// Run by ctest as simulcast_browser_test; by hand from tests/clients (after scripts/setup.sh
// has built web/assets/):
//   THRONG_BINARY=../../build/dev/src/cli/throng node --test whip/simulcast_browser.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startThrong } from "../throng_server.mjs";

const artifactDir =
  process.env.THRONG_ARTIFACT_DIR ??
  fileURLToPath(new URL("../../../build/dev/test-artifacts", import.meta.url));
const PASSWORDS = { boss: "server-admin-1" };
// A pinned layer is forwarded from its next keyframe, which throng asks the publisher for.
const SWITCH_MS = 5000;

let server, base, publisherBrowser, viewerBrowser, studio, viewer, watch;
const log = [];
const problems = [];  // console errors, page errors, refused requests: a clean run has none
const record = (who, line) => log.push(`${new Date().toISOString().slice(11, 23)} ${who} ${line}`);

async function waitFor(what, ms, probe) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    timeout: 30_000,
    args: ["--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
           ...extraArgs],
  });
}

// A page in its own browser context, watched for console errors, page errors and refused
// requests.
async function openPage(browser, who, url, { permissions = [] } = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 },
                                             permissions });
  context.setDefaultTimeout(20_000);
  await context.route(/^(?!(https?|wss?):\/\/127\.0\.0\.1[:/])/, (route) => {
    problems.push(`${who}: request outside the server: ${route.request().url()}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (msg) => {
    record(who, `[${msg.type()}] ${msg.text()}`);
    if (msg.type() === "error") problems.push(`${who}: console error: ${msg.text()}`);
  });
  page.on("pageerror", (error) => {
    record(who, `[pageerror] ${error.stack ?? error}`);
    problems.push(`${who}: page error: ${error.message}`);
  });
  page.on("response", (response) => {
    if (/\/(whip|whep)\//.test(response.url())) {
      record(who, `${response.request().method()} ${response.url()} → ${response.status()}`);
    }
    if (response.status() >= 400) {
      problems.push(`${who}: HTTP ${response.status()}: ${response.url()}`);
    }
  });
  await page.goto(url);
  return page;
}

// The viewer's inbound video counters (web/player.html's player).
const viewerVideo = () => viewer.evaluate(async () => (await window.player.stats()).video);
const layers = () => viewer.evaluate(() => window.player.layers());
const setLayer = (id) => viewer.evaluate((encodingId) => window.player.setLayer(encodingId), id);

// The viewer is still on the connection it started with, and it is up.
async function sameConnection() {
  const same = await viewer.evaluate(() => window.player.pc === window.firstPc &&
                                           window.player.pc.connectionState);
  assert.equal(same, "connected", "the viewer's first RTCPeerConnection, connected");
}

// Frames decoded over `ms`, on the viewer.
async function framesOver(page, ms, stats) {
  const a = await page.evaluate(stats);
  await sleep(ms);
  const b = await page.evaluate(stats);
  return b.framesDecoded - a.framesDecoded;
}
const playerStats = async () => (await window.player.stats()).video;

// Pins `id` and waits until the viewer decodes frames that `fits`; returns how long it took.
async function pinAndWait(id, what, fits) {
  const started = Date.now();
  const answer = await setLayer(id);
  record("test", `POST layer ${id} → ${JSON.stringify(answer)}`);
  assert.equal(answer.mode, "manual");
  assert.equal(answer.target, id);
  const v = await waitFor(what, SWITCH_MS, async () => {
    const s = await viewerVideo();
    return s && fits(s.frameWidth) ? s : null;
  });
  const ms = Date.now() - started;
  record("test", `pinned ${id}: ${v.frameWidth}x${v.frameHeight} after ${ms} ms`);
  return ms;
}

before(async () => {
  mkdirSync(artifactDir, { recursive: true });
  server = await startThrong({
    events: ["demo"],
    accounts: PASSWORDS,
    xmpp: ['admins = "boss@localhost"'],
  });
  base = `http://127.0.0.1:${server.ready.http.port}`;
  publisherBrowser = await launch(["--use-fake-device-for-media-stream",
                                   "--use-fake-ui-for-media-stream"]);
  viewerBrowser = await launch();
});

after(async () => {
  writeFileSync(join(artifactDir, "simulcast-browser.log"), log.join("\n") + "\n");
  if (studio) {
    await studio.evaluate(() => document.getElementById("end").click()).catch(() => {});
    await sleep(500);
  }
  await viewerBrowser?.close().catch(() => {});
  await publisherBrowser?.close().catch(() => {});
  if (server) writeFileSync(join(artifactDir, "simulcast-browser-server.log"), server.log());
  await server?.stop();
});

test("the studio goes live in three qualities when asked, and remembers the choice", async () => {
  studio = await openPage(publisherBrowser, "studio", `${base}/studio/demo`,
                          { permissions: ["camera", "microphone"] });
  await waitFor("the studio to load", 10_000, () =>
    studio.evaluate(() => window.studio?.ready || window.studio?.error));
  const box = studio.getByLabel("Send three qualities (simulcast)");
  assert.equal(await box.isChecked(), false, "off by default");
  assert.match(await studio.textContent("#simulcast-hint"), /slow connections.*smaller\s+picture/s);
  await studio.evaluate(() => document.getElementById("simulcast").click());
  await studio.reload();
  await waitFor("the studio to load again", 10_000, () =>
    studio.evaluate(() => window.studio?.ready));
  assert.equal(await studio.isChecked("#simulcast"), true, "remembered in this browser");

  await studio.fill("#account", "boss");
  await studio.fill("#password", PASSWORDS.boss);
  await studio.press("#password", "Enter");
  await studio.waitForSelector("#desk:not([hidden])");
  assert.equal(await studio.isChecked('input[name="video"][value="camera"]'), true);
  await studio.focus("#go-live");
  await studio.keyboard.press("Enter");
  await studio.waitForSelector("#live-status:has-text('You are live')", { timeout: 20_000 });
  assert.equal(await studio.evaluate(() => window.studio.live.simulcast), true,
               "the answer kept the three encodings");
  assert.equal(await studio.isDisabled("#simulcast"), true, "fixed while live");
});

test("(a) the publisher's connection sends rids l, m and h", async () => {
  const layerStats = () => studio.evaluate(async () =>
    (await window.studio.live.stats()).videoLayers.map((r) => ({
      rid: r.rid, width: r.frameWidth, height: r.frameHeight, bytes: r.bytesSent,
      frames: r.framesEncoded, fps: r.framesPerSecond, active: r.active,
      limit: r.qualityLimitationReason, ssrc: r.ssrc })));
  const pcBefore = await studio.evaluate(() => (window.firstPc = window.studio.live.pc, true));
  assert.ok(pcBefore);
  // The browser starts its larger layers as its bandwidth estimate grows.
  let last = null;
  const sending = await waitFor("three layers sending at their sizes", 40_000, async () => {
    const a = await layerStats();
    await sleep(1000);
    const b = await layerStats();
    last = b;
    const earlier = new Map(a.map((r) => [r.rid, r]));
    const ok = b.length === 3 && b.map((r) => r.rid).join() === "l,m,h" &&
               b.every((r) => r.active !== false && earlier.has(r.rid) &&
                              r.bytes > earlier.get(r.rid).bytes &&
                              r.frames > earlier.get(r.rid).frames) &&
               b.map((r) => r.width).join() === "320,640,1280";
    return ok ? b : null;
  }).catch((error) => {
    throw new Error(`${error.message}; last: ${JSON.stringify(last)}`);
  });
  record("test", `publisher layers: ${JSON.stringify(sending)}`);
  assert.equal(await studio.evaluate(() => window.studio.live.pc === window.firstPc), true);
  // The studio shows the largest picture and the number of qualities sent.
  await studio.waitForSelector("#h-sending-label:has-text('Sending · 3 of 3 qualities')",
                               { timeout: 10_000 });
  assert.match(await studio.textContent("#h-sending"), /^1280×720/);
  // The server's figure for the stream counts every layer.
  const health = await waitFor("the studio shows the layers' bitrate", 10_000, () =>
    studio.evaluate(() => window.studio.studio?.health?.video_bitrate_bps > 500_000 &&
                          window.studio.studio.health));
  record("test", `studio health: ${JSON.stringify(health)}`);
  await studio.waitForFunction(() => /^[\d,]+ kbit\/s$/.test(
    document.getElementById("h-bitrate").textContent) &&
    parseInt(document.getElementById("h-bitrate").textContent.replace(",", ""), 10) > 500);
  await studio.screenshot({ path: join(artifactDir, "simulcast-studio.png") });
});

test("(b) a WHEP viewer's layer resource lists the three layers, lowest first", async () => {
  viewer = await openPage(viewerBrowser, "viewer", `${base}/player.html?event=demo`);
  await viewer.waitForFunction(() => window.player !== undefined || window.playerError);
  assert.equal(await viewer.evaluate(() => window.playerError), undefined);
  await viewer.evaluate(() => (window.firstPc = window.player.pc, true));
  const layerUrl = await viewer.evaluate(() => window.player.layerUrl);
  assert.match(layerUrl, new RegExp(`^${base}/whep/demo/[^/]+/layer$`));
  await waitFor("the viewer decodes", 15_000,
                async () => (await viewerVideo())?.framesDecoded > 10);

  const answer = await waitFor("three active layers", 10_000, async () => {
    const a = await layers();
    return a.layers.length === 3 && a.layers.every((l) => l.active) ? a : null;
  });
  record("test", `GET layer → ${JSON.stringify(answer)}`);
  assert.equal(answer.mode, "auto");
  assert.deepEqual(answer.layers.map((l) => l.encodingId), ["l", "m", "h"]);
  assert.deepEqual(answer.layers.map((l) => [l.width, l.height]),
                   [[320, 180], [640, 360], [1280, 720]]);
  for (const layer of answer.layers) {
    assert.ok(layer.bitrate > 0, `a bitrate for ${layer.encodingId}: ${layer.bitrate}`);
  }
  assert.ok(["l", "m", "h"].includes(answer.current), `current: ${answer.current}`);

  // The same JSON straight from the resource, as any WHEP client sees it.
  const direct = await fetch(layerUrl);
  assert.equal(direct.status, 200);
  assert.match(direct.headers.get("content-type"), /^application\/json/);
  assert.deepEqual((await direct.json()).layers.map((l) => l.encodingId), ["l", "m", "h"]);
  await sameConnection();
});

test("(c) pinning l brings 320-wide frames within 5 s, and they keep coming", async () => {
  const ms = await pinAndWait("l", "320-wide frames", (w) => w <= 400);
  assert.ok(ms <= SWITCH_MS);
  const frames = await framesOver(viewer, 2000, playerStats);
  record("test", `on l: ${frames} frames in 2 s`);
  assert.ok(frames > 20, `frames decoded in 2 s on l: ${frames}`);
  const v = await viewerVideo();
  assert.equal(v.frameWidth, 320);
  const answer = await layers();
  assert.equal(answer.mode, "manual");
  assert.equal(answer.current, "l");
  await sameConnection();
});

test("(d) pinning h brings 1280-wide frames within 5 s", async () => {
  await pinAndWait("h", "1280-wide frames", (w) => w === 1280);
  const frames = await framesOver(viewer, 2000, playerStats);
  assert.ok(frames > 20, `frames decoded in 2 s on h: ${frames}`);
  assert.equal((await layers()).current, "h");
  await sameConnection();
});

test("(e) auto hands the choice back to throng", async () => {
  const answer = await setLayer("auto");
  record("test", `POST layer auto → ${JSON.stringify(answer)}`);
  assert.equal(answer.mode, "auto");
  const settled = await waitFor("throng picks a layer", SWITCH_MS, async () => {
    const a = await layers();
    return a.mode === "auto" && ["l", "m", "h"].includes(a.current) ? a : null;
  });
  await sleep(2000);
  const later = await layers();
  record("test", `auto on loopback: ${settled.current}, 2 s later ${later.current} ` +
                 `(${(await viewerVideo()).frameWidth} wide)`);
  assert.equal(later.mode, "auto");
  assert.ok(["l", "m", "h"].includes(later.current));
  assert.ok((await framesOver(viewer, 1000, playerStats)) > 10);
  await sameConnection();
});

test("the layer resource refuses what it must", async () => {
  const layerUrl = await viewer.evaluate(() => window.player.layerUrl);
  const post = (url, body, type = "application/json") =>
    fetch(url, { method: "POST", headers: { "content-type": type }, body });
  const unknown = await post(layerUrl, JSON.stringify({ encodingId: "x" }));
  assert.equal(unknown.status, 400);
  assert.ok((await unknown.text()).trim().length > 0, "a reason");
  const notJson = await post(layerUrl, "{encodingId: l");
  assert.equal(notJson.status, 400);
  assert.ok((await notJson.text()).trim().length > 0, "a reason");
  const gone = layerUrl.replace(/\/[^/]+\/layer$/, "/not-a-session/layer");
  assert.equal((await fetch(gone)).status, 404);
  assert.equal((await post(gone, JSON.stringify({ encodingId: "l" }))).status, 404);
  // Nothing changed for the viewer.
  assert.equal((await layers()).mode, "auto");
  await sameConnection();
});

test("(f) the watch page's Quality menu, from the keyboard", async () => {
  watch = await openPage(viewerBrowser, "watch", `${base}/live/demo`);
  await waitFor("the watch page plays", 20_000, () =>
    watch.evaluate(() => window.watch.player?.pc.connectionState === "connected" &&
                         document.getElementById("video").videoWidth > 0));
  const menu = watch.getByRole("combobox", { name: "Quality" });
  await menu.waitFor({ state: "visible", timeout: 5000 });
  const labels = await waitFor("the menu lists the layers", 5000, async () => {
    const texts = await watch.$$eval("#quality option", (os) => os.map((o) => o.textContent));
    return texts.length === 4 && /^Auto \((720p|360p|180p)\)$/.test(texts[0]) &&
           texts.slice(1).join() === "720p,360p,180p" ? texts : null;
  });
  record("test", `menu: ${labels.join(" | ")}`);
  assert.deepEqual(labels.slice(1), ["720p", "360p", "180p"]);
  assert.equal(await menu.inputValue(), "auto");
  await watch.evaluate(() => (window.firstPc = window.watch.player.pc, true));

  // Tab from the mute button reaches the menu; the arrow keys go down to 180p.
  await watch.focus("#unmute");
  await watch.keyboard.press("Tab");
  assert.equal(await watch.evaluate(() => document.activeElement.id), "quality");
  const videoWidth = () => watch.evaluate(() => document.getElementById("video").videoWidth);
  const before = await videoWidth();
  for (let i = 0; i < 3; i++) await watch.keyboard.press("ArrowDown");
  assert.equal(await menu.inputValue(), "l");
  const started = Date.now();
  const after = await waitFor("the video shrinks to 320", SWITCH_MS + 1000, async () => {
    const w = await videoWidth();
    return w > 0 && w <= 400 ? w : null;
  });
  record("test", `watch page: ${before} → ${after} wide ${Date.now() - started} ms after 180p`);
  assert.notEqual(after, before);
  const answer = await watch.evaluate(() => window.watch.player.layers());
  assert.equal(answer.mode, "manual");
  assert.equal(answer.target, "l");
  assert.equal(await menu.inputValue(), "l", "the menu shows the pinned layer");
  const watchStats = async () => (await window.watch.player.stats()).video;
  assert.ok((await framesOver(watch, 1000, watchStats)) > 10, "frames keep coming");
  assert.equal(await watch.evaluate(() => window.watch.player.pc === window.firstPc), true);
  await watch.screenshot({ path: join(artifactDir, "simulcast-watch-page.png") });

  // Home goes back to Auto.
  await watch.keyboard.press("Home");
  assert.equal(await menu.inputValue(), "auto");
  await waitFor("auto again", 5000, async () =>
    (await watch.evaluate(() => window.watch.player.layers())).mode === "auto");
});

test("the menu follows the stream: gone for one quality, back for three", async () => {
  const state = () => watch.evaluate(() => document.getElementById("state").textContent);
  const menuShown = () => watch.evaluate(() => !document.getElementById("quality-box").hidden);
  const goLive = async (simulcast) => {
    await studio.click("#end");
    await waitFor("the watch page shows offline", 10_000,
                  async () => (await state()) === "offline");
    if ((await studio.isChecked("#simulcast")) !== simulcast) await studio.click("#simulcast");
    await studio.click("#go-live");
    await studio.waitForSelector("#live-status:has-text('You are live')", { timeout: 20_000 });
    assert.equal(await studio.evaluate(() => window.studio.live.simulcast), simulcast);
    await waitFor("the watch page shows live", 10_000, async () => (await state()) === "live");
  };
  // One quality: the stream-state push (live again) reads the layers, and there are none.
  await goLive(false);
  await waitFor("the menu goes", 5000, async () => !(await menuShown()));
  const watchStats = async () => (await window.watch.player.stats()).video;
  assert.ok((await framesOver(watch, 1000, watchStats)) > 10, "the single layer plays");
  // Three again: the menu comes back with them.
  await goLive(true);
  // The larger layers start as the streamer's bandwidth estimate grows; their sizes are
  // known from their first keyframes, and the menu reads them again until then.
  let labels = null;
  await waitFor("the menu comes back", 15_000, async () => {
    labels = await watch.$$eval("#quality option", (os) => os.map((o) => o.textContent));
    return (await menuShown()) && labels.slice(1).join() === "720p,360p,180p";
  }).catch((error) => {
    throw new Error(`${error.message}; the menu: ${labels?.join(" | ")}`);
  });
  assert.equal(await watch.evaluate(() => window.watch.player.pc === window.firstPc), true,
               "the watch page kept its connection through both");
});

test("(g) no page logged an error", async () => {
  await sleep(500);
  assert.deepEqual(problems, []);
});
