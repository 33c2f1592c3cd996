// Headless Chromium (Debian's chromium, driven by playwright-core) watches throng's built-in
// test stream over WebRTC: web/player.html posts a WHEP offer, throng answers as an ICE-lite
// DTLS server and fans the VP8 + Opus test stream out over SRTP. The test reads the browser's
// own RTCPeerConnection statistics: frames decoded keep increasing, the decoded size is the
// source's, loss on loopback is about zero; then DELETE ends the session on the server.
//
// Chromium gathers no loopback candidates by default; --allow-loopback-in-peer-connection lets
// it reach throng on 127.0.0.1, so nothing leaves the machine.
//
// Run by ctest as whep_browser_test; by hand from tests/clients:
//   THRONG_BINARY=../../build/dev/src/cli/throng node --test whep/whep_browser.mjs
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
const WIDTH = 640;
const HEIGHT = 360;

let server, browser, page;
const browserLog = [];
const record = (line) => browserLog.push(`${new Date().toISOString().slice(11, 23)} ${line}`);

async function metric(name) {
  const text = await (await fetch(server.metrics)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(" ")[1]) : NaN;
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

const videoStats = () => page.evaluate(async () => (await window.player.stats()).video);

before(async () => {
  mkdirSync(artifactDir, { recursive: true });
  server = await startThrong({
    events: ["demo"],
    toml: ["[test_source]", "enabled = true", 'event = "demo"', 'codec = "vp8"',
           `width = ${WIDTH}`, `height = ${HEIGHT}`, "video_bitrate_kbps = 1000"],
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    timeout: 30_000,
    args: ["--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"],
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  context.setDefaultTimeout(20_000);
  await context.route(/^(?!https?:\/\/127\.0\.0\.1[:/])/, (route) => {
    record(`[blocked] ${route.request().url()}`);
    return route.abort();
  });
  page = await context.newPage();
  page.on("console", (msg) => record(`[${msg.type()}] ${msg.text()}`));
  page.on("pageerror", (error) => record(`[pageerror] ${error.stack ?? error}`));
});

after(async () => {
  writeFileSync(join(artifactDir, "whep-browser.log"), browserLog.join("\n") + "\n");
  await browser?.close().catch(() => {});
  await server?.stop();
});

test("Chromium plays the test stream through WHEP", async () => {
  try {
    await page.goto(`http://127.0.0.1:${server.ready.http.port}/player.html?event=demo`);
    await waitFor("the player to start", 15_000, () =>
      page.evaluate(() => window.player !== undefined || window.playerError !== undefined));
    const error = await page.evaluate(() => window.playerError);
    assert.equal(error, undefined, `the player failed: ${error}`);

    const first = await waitFor("30 decoded frames", 20_000, async () => {
      const video = await videoStats();
      return video && video.framesDecoded >= 30 ? video : null;
    });
    await new Promise((r) => setTimeout(r, 3000));
    const later = await videoStats();
    assert.ok(later.framesDecoded >= first.framesDecoded + 45,
              `frames decoded should keep increasing at ~30 fps: ${first.framesDecoded} → ${later.framesDecoded}`);
    assert.equal(later.frameWidth, WIDTH);
    assert.equal(later.frameHeight, HEIGHT);
    const lossRatio = later.packetsLost / (later.packetsReceived + later.packetsLost);
    assert.ok(lossRatio < 0.01, `loss on loopback: ${later.packetsLost}/${later.packetsReceived}`);
    const audio = await page.evaluate(async () => (await window.player.stats()).audio);
    assert.ok(audio && audio.packetsReceived > 50, "Opus packets arrive");
    // The server's sender reports reach the browser for both tracks (what lip sync runs on).
    const sent = await page.evaluate(async () => (await window.player.stats()).sent);
    for (const kind of ["video", "audio"]) {
      assert.ok(sent[kind] && sent[kind].reportsSent >= 2,
                `sender reports for ${kind}: ${JSON.stringify(sent[kind])}`);
      assert.ok(sent[kind].packetsSent > 0, `${kind} SR packet count`);
    }
    // Let the stats line show, then keep what a viewer sees.
    await new Promise((r) => setTimeout(r, 1200));
    await page.screenshot({ path: join(artifactDir, "whep-player.png") });
    assert.equal(await metric("throng_webrtc_sessions"), 1);
    console.log(`decoded ${later.framesDecoded} frames ${later.frameWidth}x${later.frameHeight}, ` +
                `packets ${later.packetsReceived} lost ${later.packetsLost}`);
  } catch (error) {
    console.log(browserLog.join("\n"));
    console.log(server.log().slice(-4000));
    throw error;
  }
});

test("DELETE ends the session on the server", async () => {
  await page.evaluate(() => window.player.stop());
  await waitFor("the session to close", 5_000, async () =>
    (await metric("throng_webrtc_sessions")) === 0);
  assert.ok((await metric("throng_webrtc_sessions_closed_total")) >= 1);
});
