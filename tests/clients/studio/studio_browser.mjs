// The streamer's studio (/studio/<event>) in headless Chromium with a fake camera and
// microphone, beside a viewer on the watch page (/live/<event>) in another browser context,
// against the real throng binary on loopback:
//
//  - the event shows the built-in test source (320×240, 4:3) at first;
//  - a server admin makes the streamer's account an owner of the event's room over XMPP;
//  - a wrong password is refused on the page; the streamer signs in, sees the WHIP URL and
//    the stream key (hidden until Show; the admin API's key), copies the key (the clipboard
//    has it) and goes live with the camera from the keyboard;
//  - the viewer's player follows to the camera's 16:9 picture without reconnecting; the
//    studio shows LIVE, the viewer and a non-zero bitrate, keyframe interval and codec;
//  - chat both ways between the studio and the watch page;
//  - the key is rotated (with the confirmation dialog, from the keyboard) while live: the
//    stream goes on, the old key gets 401 from POST /whip/<event>, the new one is the admin
//    API's;
//  - the streamer ends: the studio shows OFFLINE;
//  - neither page logs a console error or has a failed request.
// Desktop and phone-sized screenshots are kept in the test artifacts; THRONG_UPDATE_DOCS=1 also
// copies them to docs/screenshots/.
//
// Run by ctest as studio_browser_test; by hand from tests/clients (after scripts/setup.sh has
// built web/assets/):
//   THRONG_BINARY=../../build/dev/src/cli/throng \
//     node --experimental-websocket --test studio/studio_browser.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { xml } from "@xmpp/client";
import { startThrong } from "../throng_server.mjs";
import { mucClients, join as joinRoom, iq } from "../muc_client.mjs";

const artifactDir =
  process.env.THRONG_ARTIFACT_DIR ??
  fileURLToPath(new URL("../../../build/dev/test-artifacts", import.meta.url));
const docsDir = fileURLToPath(new URL("../../../docs/screenshots", import.meta.url));
const ROOM = "demo@rooms.localhost";
const PASSWORDS = { boss: "server-admin-1", streamer: "on-air-2024", grace: "hopper-1906" };

let server, browser, clients, base, control;
const browserLog = [];
const problems = [];  // console errors and failed requests: a clean run has none
const record = (line) => browserLog.push(`${new Date().toISOString().slice(11, 23)} ${line}`);

async function waitFor(what, ms, probe) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A page in its own browser context (another person), watched for console errors, page
// errors and failed or refused requests.
async function newPage(name, { viewport = { width: 1280, height: 800 }, permissions = [] } = {}) {
  const context = await browser.newContext({ viewport, permissions });
  context.setDefaultTimeout(20_000);
  await context.route(/^(?!(https?|wss?):\/\/127\.0\.0\.1[:/])/, (route) => {
    problems.push(`${name}: request outside the server: ${route.request().url()}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (msg) => {
    record(`${name} [${msg.type()}] ${msg.text()}`);
    if (msg.type() === "error") problems.push(`${name}: console error: ${msg.text()}`);
  });
  page.on("pageerror", (error) => {
    record(`${name} [pageerror] ${error.stack ?? error}`);
    problems.push(`${name}: page error: ${error.message}`);
  });
  page.on("requestfailed", (request) => problems.push(
    `${name}: failed: ${request.method()} ${request.url()} (${request.failure()?.errorText})`));
  page.on("request", (request) => {
    if (request.url().includes("/whip/")) record(`${name} ${request.method()} ${request.url()}`);
  });
  page.on("response", (response) => {
    if (response.url().includes("/whip/")) record(`${name} ${response.status()} ${response.url()}`);
    if (response.status() >= 400) {
      problems.push(`${name}: HTTP ${response.status()}: ${response.url()}`);
    }
  });
  return page;
}

const adminKey = async () => (await (await fetch(`${control}/api/events/demo`, {
  headers: { authorization: `Bearer ${server.adminToken}` },
})).json()).stream_key;

const whipStatus = async (key) => (await fetch(`${base}/whip/demo`, {
  method: "POST",
  headers: { "content-type": "application/sdp", authorization: `Bearer ${key}` },
  body: "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
})).status;

const isCamera = (v) => v && Math.abs(v.frameWidth / v.frameHeight - 16 / 9) < 0.05;

before(async () => {
  mkdirSync(artifactDir, { recursive: true });
  server = await startThrong({
    events: ["demo"],
    accounts: PASSWORDS,
    xmpp: ['admins = "boss@localhost"'],
    // The test source on the event at 4:3, so that the camera's 16:9 shows the takeover.
    toml: ["[test_source]", "enabled = true", 'event = "demo"', 'codec = "vp8"',
           "width = 320", "height = 240", "video_bitrate_kbps = 300"],
  });
  base = `http://127.0.0.1:${server.ready.http.port}`;
  control = `http://127.0.0.1:${server.ready.control.port}`;
  clients = mucClients(server);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    timeout: 30_000,
    args: ["--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
           "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
  });
});

after(async () => {
  writeFileSync(join(artifactDir, "studio-browser.log"), browserLog.join("\n") + "\n");
  await clients?.closeAll();
  await browser?.close().catch(() => {});
  if (server) writeFileSync(join(artifactDir, "studio-browser-server.log"), server.log());
  await server?.stop();
});

test("a streamer goes live from /studio/demo and a viewer sees it", async () => {
  try {
    // The room's owner: a server admin grants it over XMPP (XEP-0045 §10.3).
    const boss = await clients.account("boss", PASSWORDS.boss, "ws");
    await joinRoom(boss, ROOM, "boss");
    const granted = await iq(boss, { type: "set", to: ROOM },
      xml("query", { xmlns: "http://jabber.org/protocol/muc#admin" },
          xml("item", { jid: "streamer@localhost", affiliation: "owner" })));
    assert.equal(granted.attrs.type, "result");
    await boss.xmpp.send(xml("presence", { to: `${ROOM}/boss`, type: "unavailable" }));

    // The viewer watches the test source.
    const viewer = await newPage("viewer");
    await viewer.goto(`${base}/live/demo`);
    const viewerVideo = () =>
      viewer.evaluate(async () => (await window.watch.player?.stats())?.video ?? null);
    const first = await waitFor("the viewer plays the test source", 20_000, async () => {
      const v = await viewerVideo();
      return v && v.framesDecoded > 5 && v.frameWidth === 320 && v.frameHeight === 240 ? v : null;
    });
    await waitFor("the viewer joins the chat", 15_000, () =>
      viewer.evaluate(() => window.watch.room?.joined));

    // The studio: a wrong password is refused on the page.
    const studio = await newPage("studio", {
      permissions: ["clipboard-read", "clipboard-write", "camera", "microphone"],
    });
    await studio.goto(`${base}/studio/demo`);
    await waitFor("the studio to load", 10_000, () =>
      studio.evaluate(() => window.studio?.ready || window.studio?.error));
    assert.equal(await studio.evaluate(() => window.studio.error), undefined);
    assert.equal(await studio.evaluate(() => document.activeElement.id), "account");
    await studio.keyboard.type("streamer");
    await studio.keyboard.press("Tab");
    await studio.keyboard.type("not-the-password");
    await studio.keyboard.press("Enter");
    await studio.waitForSelector("#sign-in-error:has-text('Wrong account or password')");
    assert.equal(await studio.isVisible("#desk"), false);
    assert.equal(await studio.evaluate(() => document.activeElement.id), "password");
    await studio.screenshot({ path: join(artifactDir, "studio-sign-in.png") });

    await studio.fill("#password", PASSWORDS.streamer);
    await studio.press("#password", "Enter");
    await studio.waitForSelector("#desk:not([hidden])");
    assert.equal(await studio.inputValue("#password"), "", "the password leaves the form");
    assert.equal(await studio.textContent("#who"), "streamer@localhost");
    assert.equal(await studio.evaluate(() => document.activeElement.id), "broadcast-heading");

    // What OBS needs: the URL and the key (hidden until Show), the admin API's key.
    const key = await adminKey();
    assert.match(key, /^[0-9a-f]{48}$/);
    assert.equal(await studio.inputValue("#whip-url"), `${base}/whip/demo`);
    assert.equal(await studio.inputValue("#stream-key"), key);
    assert.equal(await studio.getAttribute("#stream-key", "type"), "password");
    await studio.click("#show-key");
    assert.equal(await studio.getAttribute("#stream-key", "type"), "text");
    assert.equal(await studio.getAttribute("#show-key", "aria-pressed"), "true");
    await studio.click("#copy-key");
    await studio.waitForSelector("#key-status:has-text('Stream key copied.')");
    assert.equal(await studio.evaluate(() => navigator.clipboard.readText()), key);
    await studio.click("#copy-url");
    assert.equal(await studio.evaluate(() => navigator.clipboard.readText()), `${base}/whip/demo`);
    await studio.click("#show-key");
    assert.equal(await studio.getAttribute("#stream-key", "type"), "password");

    // Go live with the camera and the microphone, from the keyboard.
    assert.equal(await studio.isChecked('input[name="video"][value="camera"]'), true);
    assert.equal(await studio.isChecked("#mic"), true);
    await studio.focus("#go-live");
    await studio.keyboard.press("Enter");
    await studio.waitForSelector("#live-status:has-text('You are live')", { timeout: 20_000 });
    assert.equal(await studio.evaluate(() => window.studio.publishing), true);
    assert.equal(await studio.evaluate(() => document.activeElement.id), "end",
                 "Go live gives way to End, which takes the focus");

    // The viewer's connection stays and shows the camera's 16:9 (the sender may scale it
    // down while its bandwidth estimate ramps up; the test source is 4:3).
    const camera = await waitFor("the viewer shows the streamer's camera", 25_000, async () => {
      const v = await viewerVideo();
      return isCamera(v) && v.framesDecoded > first.framesDecoded ? v : null;
    });
    record(`viewer: camera at ${camera.frameWidth}x${camera.frameHeight}`);
    assert.equal(await viewer.evaluate(() => window.watch.player.pc.connectionState), "connected");
    const audio = await viewer.evaluate(async () => (await window.watch.player.stats()).audio);
    assert.ok(audio?.packetsReceived > 0, "the microphone reaches the viewer");
    // A browser encoder sends a keyframe when asked, not on a clock: a second viewer arriving
    // makes throng ask (a PLI), so the studio has two keyframes to measure an interval from.
    await viewer.evaluate(async () => {
      const { startWhep } = await import("/whep-player.js");
      const video = Object.assign(document.createElement("video"), { muted: true, hidden: true });
      document.body.append(video);
      window.secondViewer = await startWhep(video, "/whep/demo");
    });

    // The studio sees what the server sees: LIVE, the viewer, bitrate, keyframes, codec.
    await studio.waitForSelector("#on-air.live:has-text('live')", { timeout: 10_000 });
    const health = await waitFor("the studio shows the stream's health", 15_000, async () => {
      const s = await studio.evaluate(() => window.studio.studio);
      return s?.live && s.viewers >= 1 && s.health?.video_bitrate_bps > 0 &&
             s.health.keyframe_interval_s > 0 ? s : null;
    });
    record(`studio health: ${JSON.stringify(health.health)}`);
    assert.equal(health.health.connected, true);
    assert.match(health.health.video_codec, /VP8|H264/i);
    assert.match(await studio.textContent("#viewers"), /^[1-9]\d* watching$/);
    assert.equal(await studio.textContent("#h-viewers"), String(health.viewers));
    const bitrate = await studio.textContent("#h-bitrate");
    assert.match(bitrate, /^[\d,]+ kbit\/s$/);
    assert.ok(Number(bitrate.replace(/\D/g, "")) > 0, bitrate);
    assert.match(await studio.textContent("#h-keyframe"), /^\d+\.\d s$/);
    assert.match(await studio.textContent("#h-loss"), /^\d+\.\d %$/);
    assert.equal(await studio.textContent("#h-state"), "Live, this browser");
    await waitFor("the studio shows what it sends", 10_000, async () =>
      /^\d+×\d+/.test(await studio.textContent("#h-sending")));

    // The chat, both ways.
    await waitFor("the streamer joins the chat", 10_000, () =>
      studio.evaluate(() => window.studio.joined));
    await viewer.fill("#nick", "Ada");
    await viewer.press("#nick", "Enter");
    await viewer.fill("#text", "Hello from the audience!");
    await viewer.press("#text", "Enter");
    await studio.waitForSelector("#messages li:has-text('Hello from the audience!')");
    await studio.fill("#text", "Welcome, everyone. We start in a minute.");
    await studio.press("#text", "Enter");
    await viewer.waitForSelector(".messages li:has-text('We start in a minute')");
    const grace = await clients.account("grace", PASSWORDS.grace, "ws");
    await joinRoom(grace, ROOM, "Grace");
    await grace.xmpp.send(xml("message", { to: ROOM, type: "groupchat" },
                              xml("body", {}, "The picture is sharp from here.")));
    await studio.waitForSelector("#messages li:has-text('The picture is sharp')");

    // Screenshots: desktop, and the watch page beside it.
    await studio.waitForTimeout(2500);  // a poll with the latest figures
    await studio.screenshot({ path: join(artifactDir, "studio.png") });
    await viewer.screenshot({ path: join(artifactDir, "studio-viewer.png") });

    // Rotation while live, from the keyboard: the dialog opens on Cancel; Tab, Enter rotates.
    await studio.focus("#rotate");
    await studio.keyboard.press("Enter");
    await studio.waitForSelector("#rotate-dialog[open]");
    assert.equal(await studio.evaluate(() => document.activeElement.id), "rotate-cancel");
    await studio.screenshot({ path: join(artifactDir, "studio-rotate.png") });
    await studio.keyboard.press("Tab");
    assert.equal(await studio.evaluate(() => document.activeElement.id), "rotate-confirm");
    await studio.keyboard.press("Enter");
    await studio.waitForSelector("#key-status:has-text('New key')");
    const rotated = await studio.inputValue("#stream-key");
    assert.notEqual(rotated, key);
    assert.equal(await adminKey(), rotated);
    assert.equal(await studio.evaluate(() => document.activeElement.id), "rotate");
    assert.equal(await whipStatus(key), 401, "the old key is refused");
    // The live publisher keeps going.
    const beforeRotation = await viewerVideo();
    await new Promise((r) => setTimeout(r, 1500));
    const afterRotation = await viewerVideo();
    assert.ok(afterRotation.framesDecoded > beforeRotation.framesDecoded + 10,
              "the stream goes on after the rotation");
    assert.equal(await studio.evaluate(() => window.studio.studio.live), true);

    // Phone-sized: one column, nothing wider than the screen.
    await studio.setViewportSize({ width: 390, height: 844 });
    await studio.waitForTimeout(500);
    assert.ok(await studio.evaluate(() => document.documentElement.scrollWidth <= 390),
              "no horizontal scrolling on a phone");
    await studio.screenshot({ path: join(artifactDir, "studio-phone.png"), fullPage: true });
    await studio.setViewportSize({ width: 1280, height: 800 });

    // The streamer ends: the event goes offline.
    await studio.click("#end");
    await studio.waitForSelector("#live-status:has-text('The stream ended')");
    await studio.waitForSelector("#on-air.offline", { timeout: 10_000 });
    assert.equal(await studio.evaluate(() => window.studio.publishing), false);
    assert.equal((await (await fetch(`${base}/api/public/events/demo`)).json()).live, false);
    assert.equal(await studio.isDisabled("#go-live"), false, "Go live again is possible");

    // The page never shows the key in the clear unless asked, and sign-out forgets it all.
    await studio.click("#sign-out");
    await studio.waitForSelector("#sign-in:not([hidden])");
    assert.equal(await studio.evaluate(() => window.studio.studio), null);

    assert.deepEqual(problems, [], "a clean run logs no error and no failed request");
    if (process.env.THRONG_UPDATE_DOCS === "1") {
      for (const name of ["studio.png", "studio-phone.png"]) {
        copyFileSync(join(artifactDir, name), join(docsDir, name));
      }
    }
    assert.ok(!server.log().includes(key) && !server.log().includes(rotated),
              "the stream keys never reach the server's log");
  } catch (error) {
    console.log(browserLog.join("\n"));
    console.log(server.log().slice(-4000));
    throw error;
  }
});

test("the studio API refuses accounts without rights and strangers", async () => {
  const url = `${base}/api/v1/events/demo/studio`;
  const basic = (user, password) =>
    ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });
  assert.equal((await fetch(url)).status, 401);
  const bearer = { authorization: `Bearer ${server.adminToken}` };
  assert.equal((await fetch(url, { headers: bearer })).status, 401, "no admin token here");
  assert.equal((await fetch(url, { headers: basic("grace", PASSWORDS.grace) })).status, 403);
  const boss = await fetch(url, { headers: basic("boss", PASSWORDS.boss) });
  assert.equal(boss.status, 200);
  assert.equal(boss.headers.get("cache-control"), "no-store");
  assert.equal((await boss.json()).stream_key, await adminKey());
  assert.equal((await fetch(`${base}/studio/not a slug`)).status, 404);
  assert.equal((await fetch(`${base}/studio/demo`)).status, 200);
});
