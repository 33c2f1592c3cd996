// Going live through WHIP, end to end in two headless Chromiums (Debian's chromium, driven by
// playwright-core), against the real throng binary on loopback:
//
//  - a viewer watches the built-in test stream through WHEP (web/player.html);
//  - the publisher's browser, with Chromium's fake camera and microphone, goes live through
//    web/whip-publisher.js with the event's stream key; the viewer's connection stays and
//    starts showing the publisher's picture (its size, not the test source's);
//  - a second publisher gets 409; bad keys get 401, a malformed offer 400;
//  - glass-to-glass: the publisher sends a canvas on which each frame carries the time it was
//    drawn in black and white blocks; the viewer reads the blocks out of each decoded frame
//    (requestVideoFrameCallback) and compares with the clock both browsers share;
//  - the publisher leaves (DELETE): the event goes offline, the viewer's frames stop but its
//    connection stays; the publisher returns and the viewer sees it again without
//    reconnecting;
//  - the publisher's browser is killed: consent freshness notices within seconds.
//
// Run by ctest as whip_browser_test; by hand from tests/clients:
//   THRONG_BINARY=../../build/dev/src/cli/throng node --test whip/whip_browser.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync, readdirSync, readFileSync, statSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startThrong, throngBinary } from "../throng_server.mjs";

const artifactDir =
  process.env.THRONG_ARTIFACT_DIR ??
  fileURLToPath(new URL("../../../build/dev/test-artifacts", import.meta.url));

let server, viewerBrowser, publisherServer, publisherBrowser, viewer, watchPage, publisher, base, streamKey;
const log = [];
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

async function metric(name) {
  const text = await (await fetch(server.metrics)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(" ")[1]) : NaN;
}

const isCamera = (v) => Math.abs(v.frameWidth / v.frameHeight - 16 / 9) < 0.05;
const eventInfo = async () => (await fetch(`${base}/api/public/events/demo`)).json();
const viewerVideo = () => viewer.evaluate(async () => (await window.player.stats()).video);

async function launch(extraArgs) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    timeout: 30_000,
    args: ["--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
           ...extraArgs],
  });
}

async function openPage(browser, who, url) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  context.setDefaultTimeout(20_000);
  await context.route(/^(?!https?:\/\/127\.0\.0\.1[:/])/, (route) => {
    record(who, `[blocked] ${route.request().url()}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (msg) => record(who, `[${msg.type()}] ${msg.text()}`));
  page.on("pageerror", (error) => record(who, `[pageerror] ${error.stack ?? error}`));
  await page.goto(url);
  return page;
}

// In the publisher's page: the fake camera and microphone (or, in a browser without them, a
// canvas), published through WHIP.
async function goLive(page, key, { canvas = false } = {}) {
  return page.evaluate(async ([streamKey, useCanvas]) => {
    const { startWhip } = await import("/whip-publisher.js");
    const media = useCanvas
      ? document.createElement("canvas").captureStream(10)
      : await navigator.mediaDevices.getUserMedia({
          video: { width: 1280, height: 720, frameRate: 30 },
          audio: true,
        });
    try {
      window.live = await startWhip("/whip/demo", streamKey, media, { maxBitrate: 2_000_000 });
      return { ok: true };
    } catch (error) {
      media.getTracks().forEach((t) => t.stop());
      return { ok: false, status: error.status, message: error.message };
    }
  }, [key, canvas]);
}

before(async () => {
  mkdirSync(artifactDir, { recursive: true });
  server = await startThrong({
    events: ["demo"],
    toml: ["record = true",  // appended to [webrtc]
           "[test_source]", "enabled = true", 'event = "demo"', 'codec = "vp8"',
           "width = 320", "height = 240", "video_bitrate_kbps = 500"],
  });
  base = `http://127.0.0.1:${server.ready.http.port}`;
  const control = `http://127.0.0.1:${server.ready.control.port}`;
  const event = await (await fetch(`${control}/api/events/demo`, {
    headers: { authorization: `Bearer ${server.adminToken}` },
  })).json();
  streamKey = event.stream_key;
  assert.match(streamKey, /^[0-9a-f]{48}$/);
  viewerBrowser = await launch([]);
  // A browser server: the last test kills its process.
  publisherServer = await chromium.launchServer({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    timeout: 30_000,
    args: ["--allow-loopback-in-peer-connection", "--use-fake-device-for-media-stream",
           "--use-fake-ui-for-media-stream"],
  });
  publisherBrowser = await chromium.connect(publisherServer.wsEndpoint());
  viewer = await openPage(viewerBrowser, "viewer", `${base}/player.html?event=demo`);
  // The watch page follows the stream's state through its chat room's status push.
  watchPage = await openPage(viewerBrowser, "watch", `${base}/live/demo`);
  publisher = await openPage(publisherBrowser, "publisher", `${base}/`);
});

after(async () => {
  writeFileSync(join(artifactDir, "whip-browser.log"), log.join("\n") + "\n");
  await viewerBrowser?.close().catch(() => {});
  await publisherBrowser?.close().catch(() => {});
  await publisherServer?.close().catch(() => {});
  if (server) writeFileSync(join(artifactDir, "whip-browser-server.log"), server.log());
  await server?.stop();
});

test("WHIP refuses what it must", async () => {
  const offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
  const post = (headers, body = offer) =>
    fetch(`${base}/whip/demo`, { method: "POST", headers: { "content-type": "application/sdp", ...headers }, body });
  const missing = await post({});
  assert.equal(missing.status, 401);
  assert.match(missing.headers.get("www-authenticate") ?? "", /^Bearer/);
  const wrong = await post({ authorization: `Bearer ${"0".repeat(48)}` });
  assert.equal(wrong.status, 401);
  const otherEvent = await post({ authorization: `Bearer ${streamKey}` }, offer);
  assert.equal(otherEvent.status, 400, "the right key with a malformed offer: 400");
  assert.match(await otherEvent.text(), /m=|section/i);
  const noSuchEvent = await fetch(`${base}/whip/nope`, {
    method: "POST", headers: { "content-type": "application/sdp", authorization: `Bearer ${streamKey}` }, body: offer,
  });
  assert.equal(noSuchEvent.status, 401, "another event's key is no key");
  const options = await fetch(`${base}/whip/demo`, { method: "OPTIONS" });
  assert.equal(options.status, 204);
  assert.match(options.headers.get("access-control-allow-headers") ?? "", /Authorization/);
  assert.ok(!server.log().includes(streamKey), "the stream key never reaches the log");
});

test("a publisher takes over from the test source and the viewer follows", async () => {
  // The viewer watches the test source first.
  await viewer.waitForFunction(() => window.player !== undefined);
  const before = await waitFor("the test stream decodes", 15_000, async () => {
    const v = await viewerVideo();
    return v && v.framesDecoded > 10 && v.frameWidth === 320 ? v : null;
  });
  const viewerPc = await viewer.evaluate(() => window.player.pc.connectionState);
  assert.equal(viewerPc, "connected");

  const live = await goLive(publisher, streamKey);
  assert.deepEqual(live, { ok: true });
  await waitFor("the publisher connects", 15_000, () =>
    publisher.evaluate(() => window.live.pc.connectionState === "connected"));

  // Same connection, new picture: the fake camera's 16:9 (the sender may scale it down while
  // its bandwidth estimate ramps up; the test source is 4:3).
  const after = await waitFor("the viewer shows the publisher", 20_000, async () => {
    const v = await viewerVideo();
    return v && isCamera(v) ? v : null;
  });
  assert.ok(after.framesDecoded > before.framesDecoded);
  assert.equal(await viewer.evaluate(() => window.player.pc.connectionState), "connected");
  const info = await eventInfo();
  assert.equal(info.live, true);
  assert.equal(info.viewers, 2);  // the player page and the watch page

  // Frames keep coming at the camera's pace.
  const a = await viewerVideo();
  await new Promise((r) => setTimeout(r, 2000));
  const b = await viewerVideo();
  const fps = (b.framesDecoded - a.framesDecoded) / 2;
  record("test", `viewer decodes ${fps} fps of the publisher`);
  assert.ok(fps > 15, `viewer decodes ${fps} fps`);
  assert.ok((await metric("throng_ingest_packets_total")) > 100);
  assert.equal(await metric("throng_ingest_rejected_total"), 0);

  // Audio flows too.
  const audio = await viewer.evaluate(async () => (await window.player.stats()).audio);
  assert.ok(audio.packetsReceived > 50, `audio packets ${audio.packetsReceived}`);

  // The publisher hears throng's receiver reports.
  const sent = await publisher.evaluate(async () => (await window.live.stats()).remote.video);
  assert.ok(sent, "remote-inbound-rtp for video (throng's receiver reports)");

  // One publisher at a time.
  const second = await goLive(viewer, streamKey, { canvas: true });
  assert.equal(second.status, 409, JSON.stringify(second));
});

test("glass-to-glass delay through throng", async () => {
  // The publisher draws the time into its picture: 24 blocks, one bit each, of Date.now().
  await publisher.evaluate(async () => {
    const canvas = document.createElement("canvas");
    canvas.width = 640;
    canvas.height = 360;
    const g = canvas.getContext("2d");
    const draw = () => {
      const t = Date.now() & 0xffffff;
      g.fillStyle = "#808080";
      g.fillRect(0, 0, 640, 360);
      for (let i = 0; i < 24; i++) {
        g.fillStyle = (t >> i) & 1 ? "#ffffff" : "#000000";
        g.fillRect((i % 8) * 80, Math.floor(i / 8) * 80 + 60, 80, 80);
      }
      window.drawTimer = setTimeout(draw, 10);
    };
    draw();
    const track = canvas.captureStream(60).getVideoTracks()[0];
    await window.live.senders.video.replaceTrack(track);
  });
  await waitFor("the canvas reaches the viewer", 15_000, async () => {
    const v = await viewerVideo();
    return v && v.frameWidth === 640 && v.frameHeight === 360;
  });
  const delays = await viewer.evaluate(
    () =>
      new Promise((resolve) => {
        const video = document.querySelector("video");
        const canvas = document.createElement("canvas");
        canvas.width = 640;
        canvas.height = 360;
        const g = canvas.getContext("2d", { willReadFrequently: true });
        const out = [];
        const until = Date.now() + 6000;
        const onFrame = () => {
          const now = Date.now();
          g.drawImage(video, 0, 0, 640, 360);
          let t = 0;
          for (let i = 0; i < 24; i++) {
            const x = (i % 8) * 80 + 40;
            const y = Math.floor(i / 8) * 80 + 100;
            if (g.getImageData(x, y, 1, 1).data[0] > 128) t |= 1 << i;
          }
          const delay = ((now & 0xffffff) - t + 0x1000000) % 0x1000000;
          if (delay < 5000) out.push(delay);
          if (Date.now() < until) video.requestVideoFrameCallback(onFrame);
          else resolve(out);
        };
        video.requestVideoFrameCallback(onFrame);
      }),
  );
  delays.sort((x, y) => x - y);
  const at = (q) => delays[Math.min(delays.length - 1, Math.floor(q * delays.length))];
  const summary = `glass-to-glass over ${delays.length} frames: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${delays.at(-1)} ms`;
  record("test", summary);
  console.log(summary);
  writeFileSync(join(artifactDir, "whip-glass-to-glass.txt"), summary + "\n");
  assert.ok(delays.length > 60, `frames measured: ${delays.length}`);
  assert.ok(at(0.5) < 1000, summary);
});

test("the publisher leaves and returns; the viewer never reconnects", async () => {
  await publisher.evaluate(async () => {
    clearTimeout(window.drawTimer);
    await window.live.stop();
  });
  await waitFor("the event goes offline", 5000, async () => (await eventInfo()).live === false);
  // The watch page says so (the room pushes the state every 2 s when it changes).
  // The live was recorded: a pcap with the publisher's packets and a complete index, which
  // `throng record export` turns into WebM.
  const recordings = join(server.dir, "data", "recordings");
  const [first] = readdirSync(recordings).filter((d) => d.startsWith("demo-")).sort();
  const recording = join(recordings, first);
  await waitFor("the recording's index is complete", 5000, () =>
    JSON.parse(readFileSync(join(recording, "index.json"), "utf8")).stopped);
  assert.ok(statSync(join(recording, "media.pcap")).size > 100_000);
  const webm = join(artifactDir, "whip-recording.webm");
  const report = execFileSync(throngBinary, ["record", "export", recording, "--output", webm]);
  record("test", `record export: ${report.toString().trim().replaceAll("\n", "; ")}`);
  assert.ok(existsSync(webm) && statSync(webm).size > 50_000);
  await waitFor("the watch page shows offline", 6000, () =>
    watchPage.evaluate(() => document.getElementById("state").textContent === "offline" &&
                             /offline/.test(document.getElementById("screen-message").textContent)));
  await new Promise((r) => setTimeout(r, 1000));  // the viewer's jitter buffer drains
  const stopped = await viewerVideo();
  await new Promise((r) => setTimeout(r, 1500));
  const still = await viewerVideo();
  record("test", `offline: frames decoded ${stopped.framesDecoded} then ${still.framesDecoded}`);
  assert.ok(still.framesDecoded - stopped.framesDecoded < 5, "no frames while offline");
  assert.equal(await viewer.evaluate(() => window.player.pc.connectionState), "connected");

  assert.deepEqual(await goLive(publisher, streamKey), { ok: true });
  await waitFor("the viewer sees the publisher again", 20_000, async () => {
    const v = await viewerVideo();
    record("test", `returning: ${v.framesDecoded} frames ${v.frameWidth}x${v.frameHeight} packets ${v.packetsReceived} lost ${v.packetsLost} keyframes ${v.keyFramesDecoded} plis ${v.pliCount}`);
    return v && isCamera(v) && v.framesDecoded > still.framesDecoded + 20;
  });
  assert.equal(await viewer.evaluate(() => window.player.pc.connectionState), "connected");
  assert.equal((await eventInfo()).live, true);
  await waitFor("the watch page shows live again with its viewer count", 6000, () =>
    watchPage.evaluate(() => document.getElementById("state").textContent === "live" &&
                             document.getElementById("viewers").textContent === "2 watching"));
  assert.equal(await watchPage.evaluate(() => window.watch.player.pc.connectionState), "connected");
  await watchPage.screenshot({ path: join(artifactDir, "whip-watch-page.png") });
});

test("a publisher that vanishes is noticed within seconds", async () => {
  const killedAt = Date.now();
  publisherServer.process().kill("SIGKILL");
  publisherBrowser = null;
  publisherServer = null;
  await waitFor("the event goes offline", 15_000, async () => (await eventInfo()).live === false);
  const seconds = (Date.now() - killedAt) / 1000;
  record("test", `offline ${seconds.toFixed(1)} s after the publisher was killed`);
  assert.ok(seconds < 10, `noticed after ${seconds} s`);
  assert.equal(await viewer.evaluate(() => window.player.pc.connectionState), "connected");
  // The 409 the viewer's page was refused above is the one expected error.
  const errors = log.filter((l) => /(viewer|watch) \[(error|pageerror)\]/.test(l) &&
                                   !l.includes("409"));
  assert.deepEqual(errors, []);
});
