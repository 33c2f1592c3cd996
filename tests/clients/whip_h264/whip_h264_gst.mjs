// H.264 from a peer that is not a browser: GStreamer's webrtcbin (Debian's packages, driven by
// gst_whip_publisher.py) goes live through WHIP with x264 and Opus; headless Chromium watches
// through WHEP (web/player.html) and must decode H.264. Against the real throng binary on
// loopback, one event per case, no test source:
//
//  - "h264": the pipeline docs/going-live.md gives (constrained baseline, no B-frames, SPS/PPS
//    before each IDR). A viewer decodes H.264 at the source's size; a viewer that joins 5 s
//    later decodes too.
//  - "once": the publisher sends SPS/PPS with one keyframe only (the first one asked for) and
//    its offer carries no sprop-parameter-sets, so a viewer that joins later has them only
//    because throng kept them and repeats them before each keyframe.
//  - "bframes": Main profile with 2 B-frames: throng warns in its log that the publisher
//    "sends B-frames"; what the viewer then shows is recorded, not judged.
//  - "high": High profile, which Debian's Chromium does not offer: the viewer's answer keeps
//    its video section inactive (RFC 8843 §7.3.3), the sound plays, and the player names the
//    format it cannot play.
//
// Exits 77 (ctest: skipped) when the GStreamer elements are missing (scripts/setup.sh installs
// them). Run by ctest as whip_h264_test; by hand from tests/clients:
//   THRONG_BINARY=../../build/dev/src/cli/throng node --test whip_h264/whip_h264_gst.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startThrong } from "../throng_server.mjs";

const artifactDir =
  process.env.THRONG_ARTIFACT_DIR ??
  fileURLToPath(new URL("../../../build/dev/test-artifacts", import.meta.url));
// Debian's python3 (python3-gi is installed for it, not for another python on the PATH).
const python = process.env.GST_PYTHON ?? "/usr/bin/python3";
const publisherScript = fileURLToPath(new URL("./gst_whip_publisher.py", import.meta.url));
const WIDTH = 640;
const HEIGHT = 360;
const LATE_JOIN_MS = 5000;

const check = spawnSync(python, [publisherScript, "--check"],
                        { encoding: "utf8", timeout: 30_000 });
if (check.status !== 0) {
  console.log(`SKIPPED: GStreamer publisher unavailable (${python} ${publisherScript} --check ` +
              `exited ${check.status ?? check.signal}): ${(check.stdout + check.stderr).trim()}\n` +
              "Install scripts/debian-packages.txt (scripts/setup.sh).");
  process.exit(77);
}

let server, browser, base, control;
const publishers = new Set();
const log = [];
const findings = [];
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

async function metric(name) {
  const text = await (await fetch(server.metrics)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(" ")[1]) : NaN;
}

async function streamKey(slug) {
  const event = await (await fetch(`${control}/api/events/${slug}`, {
    headers: { authorization: `Bearer ${server.adminToken}` },
  })).json();
  assert.match(event.stream_key, /^[0-9a-f]{48}$/);
  return event.stream_key;
}

const eventLive = async (slug) =>
  (await (await fetch(`${base}/api/public/events/${slug}`)).json()).live;

// The GStreamer publisher as a child process; its stdout lines are kept for waitLine. It stops
// by itself after `duration` seconds at the latest; stop() ends it sooner (SIGTERM: it DELETEs
// its WHIP resource), and SIGKILL follows if it has not exited 5 s later.
async function startPublisher(slug, args = []) {
  const child = spawn(python, [publisherScript, `--url=${base}/whip/${slug}`, `--width=${WIDTH}`,
                               `--height=${HEIGHT}`, "--duration=90", ...args], {
    env: { ...process.env, WHIP_KEY: await streamKey(slug) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines = [];
  let pending = "";
  const onData = (who) => (data) => {
    pending += data;
    const parts = pending.split("\n");
    pending = parts.pop();
    for (const line of parts) {
      if (who === "gst") lines.push(line);
      record(`gst[${slug}]`, line);
    }
  };
  child.stdout.on("data", onData("gst"));
  child.stderr.on("data", onData("gst-stderr"));
  const exited = new Promise((r) => child.once("exit", (code, signal) => r(code ?? signal)));
  const publisher = {
    lines,
    exited,
    async waitLine(what, pattern, ms) {
      return waitFor(`${slug} publisher: ${what}`, ms, () => {
        if (child.exitCode !== null) throw new Error(`the publisher exited: ${lines.join("\n")}`);
        return lines.find((l) => pattern.test(l));
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      publishers.delete(publisher);
      return child.exitCode;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
  publishers.add(publisher);
  return publisher;
}

async function openViewer(slug, who) {
  const context = await browser.newContext({ viewport: { width: 800, height: 500 } });
  context.setDefaultTimeout(20_000);
  await context.route(/^(?!https?:\/\/127\.0\.0\.1[:/])/, (route) => {
    record(who, `[blocked] ${route.request().url()}`);
    return route.abort();
  });
  const page = await context.newPage();
  page.on("console", (msg) => record(who, `[${msg.type()}] ${msg.text()}`));
  page.on("pageerror", (error) => record(who, `[pageerror] ${error.stack ?? error}`));
  await page.goto(`${base}/player.html?event=${slug}`);
  await page.waitForFunction(() => window.player !== undefined || window.playerError !== undefined);
  const error = await page.evaluate(() => window.playerError);
  assert.equal(error, undefined, `${who}: ${error}`);
  return page;
}

// The viewer's inbound video and audio with their codecs (RTCCodecStats.mimeType).
async function inbound(page) {
  return page.evaluate(async () => {
    const reports = await window.player.pc.getStats();
    const codecs = new Map();
    const out = { video: null, audio: null };
    reports.forEach((r) => {
      if (r.type === "codec") codecs.set(r.id, r);
      if (r.type === "inbound-rtp") out[r.kind] = r;
    });
    for (const kind of ["video", "audio"]) {
      const r = out[kind];
      if (!r) continue;
      const codec = codecs.get(r.codecId);
      out[kind] = {
        mimeType: codec?.mimeType, fmtp: codec?.sdpFmtpLine,
        packetsReceived: r.packetsReceived, packetsLost: r.packetsLost,
        framesDecoded: r.framesDecoded, keyFramesDecoded: r.keyFramesDecoded,
        framesDropped: r.framesDropped, frameWidth: r.frameWidth, frameHeight: r.frameHeight,
        freezeCount: r.freezeCount, totalFreezesDuration: r.totalFreezesDuration,
        pliCount: r.pliCount, nackCount: r.nackCount,
      };
    }
    return out;
  });
}

// The test picture is one white ball moving on black (videotestsrc pattern=ball). For each
// frame the viewer shows over two seconds (requestVideoFrameCallback): its bright pixels and
// their centre, at half size. Damaged frames (decoded against the wrong references: smears,
// ghosts) have a bright area far from the usual one; frames shown out of order move the ball
// backwards, both coordinates reversing at once (a bounce reverses only one).
async function pictureCheck(page) {
  return page.evaluate(
    ([width, height]) =>
      new Promise((resolve) => {
        const video = document.querySelector("video");
        const canvas = document.createElement("canvas");
        canvas.width = width;
        canvas.height = height;
        const g = canvas.getContext("2d", { willReadFrequently: true });
        const frames = [];
        const until = performance.now() + 2000;
        const onFrame = () => {
          g.drawImage(video, 0, 0, width, height);
          const data = g.getImageData(0, 0, width, height).data;
          let bright = 0, sx = 0, sy = 0;
          for (let p = 0, i = 0; p < data.length; p += 4, i++) {
            if (data[p] <= 128) continue;
            bright++;
            sx += i % width;
            sy += Math.floor(i / width);
          }
          frames.push({ bright, x: bright ? sx / bright : 0, y: bright ? sy / bright : 0 });
          if (performance.now() < until) video.requestVideoFrameCallback(onFrame);
          else done();
        };
        let finished = false;
        const done = () => {
          if (finished) return;
          finished = true;
          if (frames.length === 0) {
            resolve({ frames: 0, median: 0, damaged: 0, backwards: 0 });
            return;
          }
          const sorted = frames.map((f) => f.bright).sort((a, b) => a - b);
          const median = sorted[Math.floor(sorted.length / 2)];
          const damaged = frames.filter((f) => Math.abs(f.bright - median) > median / 4).length;
          let backwards = 0;
          for (let i = 2; i < frames.length; i++) {
            const [a, b, c] = [frames[i - 2], frames[i - 1], frames[i]];
            const [dx1, dy1, dx2, dy2] = [b.x - a.x, b.y - a.y, c.x - b.x, c.y - b.y];
            if (Math.abs(dx1) > 0.5 && Math.abs(dy1) > 0.5 && dx1 * dx2 < 0 && dy1 * dy2 < 0) {
              backwards++;
            }
          }
          resolve({ frames: frames.length, median, damaged, backwards });
        };
        video.requestVideoFrameCallback(onFrame);
        setTimeout(done, 4000);  // no frames at all: a stalled picture
      }),
    [WIDTH / 2, HEIGHT / 2],
  );
}

const describePicture = (p) =>
  `${p.frames} frames shown in 2 s, ball ${p.median} px, ${p.damaged} damaged, ` +
  `${p.backwards} moving backwards`;

const describe = (v) =>
  v ? `${v.mimeType} ${v.frameWidth}x${v.frameHeight} decoded ${v.framesDecoded} ` +
      `(keyframes ${v.keyFramesDecoded}, dropped ${v.framesDropped}, freezes ${v.freezeCount}) ` +
      `packets ${v.packetsReceived} lost ${v.packetsLost} plis ${v.pliCount}`
    : "no inbound video";

// The viewer decodes H.264 at the publisher's size, and keeps decoding. Returns its frame rate.
async function expectDecodesH264(page, who, { strict = true } = {}) {
  const first = await waitFor(`${who} decodes H.264`, 20_000, async () => {
    const { video } = await inbound(page);
    record(who, describe(video));
    return video && video.framesDecoded > 10 ? video : null;
  });
  await sleep(2000);
  const { video, audio } = await inbound(page);
  const fps = (video.framesDecoded - first.framesDecoded) / 2;
  const summary = `${who}: ${describe(video)}; ${fps} fps; audio ${audio?.mimeType} ` +
                  `packets ${audio?.packetsReceived}`;
  record(who, summary);
  findings.push(summary);
  if (!strict) return fps;
  assert.equal(video.mimeType, "video/H264", summary);
  assert.equal(video.frameWidth, WIDTH, summary);
  assert.equal(video.frameHeight, HEIGHT, summary);
  assert.ok(video.keyFramesDecoded >= 1, summary);
  assert.ok(fps > 10, `${summary}: frames stalled`);
  assert.equal(audio?.mimeType, "audio/opus", summary);
  assert.ok(audio.packetsReceived > 20, summary);
  return fps;
}

async function closeViewer(page) {
  await page.evaluate(() => window.player.stop()).catch(() => {});
  await page.context().close();
}

before(async () => {
  mkdirSync(artifactDir, { recursive: true });
  server = await startThrong({ events: ["h264", "once", "bframes", "high"] });
  base = `http://127.0.0.1:${server.ready.http.port}`;
  control = `http://127.0.0.1:${server.ready.control.port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    timeout: 30_000,
    args: ["--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"],
  });
});

after(async () => {
  for (const publisher of [...publishers]) await publisher.stop();
  await browser?.close().catch(() => {});
  writeFileSync(join(artifactDir, "whip-h264.log"), log.join("\n") + "\n");
  writeFileSync(join(artifactDir, "whip-h264.txt"), findings.join("\n") + "\n");
  if (server) writeFileSync(join(artifactDir, "whip-h264-server.log"), server.log());
  await server?.stop();
});
// Should the test runner itself be killed, the publishers go with it.
process.once("exit", () => publishers.forEach((p) => p.kill()));

test("GStreamer publishes H.264 through WHIP; viewers, early and late, decode it", async () => {
  const publisher = await startPublisher("h264");
  await publisher.waitLine("answer 201", /^answer 201/, 15_000);
  await publisher.waitLine("answer applied", /^answer applied/, 5000);
  await publisher.waitLine("connected", /^connection-state connected/, 15_000);
  await waitFor("the event is live", 10_000, () => eventLive("h264"));

  const early = await openViewer("h264", "viewer");
  await expectDecodesH264(early, "viewer");
  await sleep(LATE_JOIN_MS);
  const late = await openViewer("h264", "late viewer");
  await expectDecodesH264(late, "late viewer");
  // The early viewer kept going meanwhile.
  const { video } = await inbound(early);
  findings.push(`viewer after ${LATE_JOIN_MS / 1000 + 4} s more: ${describe(video)}`);
  assert.ok(video.framesDecoded > 100, describe(video));
  await late.screenshot({ path: join(artifactDir, "whip-h264-late-viewer.png") });
  const clean = await pictureCheck(late);
  findings.push(`late viewer's picture: ${describePicture(clean)}`);
  assert.ok(clean.frames >= 20 && clean.damaged <= 2 && clean.backwards === 0,
            describePicture(clean));

  assert.ok((await metric("throng_ingest_packets_total")) > 200);
  assert.equal(await metric("throng_ingest_rejected_total"), 0);
  assert.doesNotMatch(server.log(), /publisher of 'h264' sends B-frames/);
  await closeViewer(early);
  await closeViewer(late);
  assert.equal(await publisher.stop(), 0, "the publisher stops cleanly (SIGTERM, DELETE)");
  assert.ok(publisher.lines.includes("delete 200"), publisher.lines.join("\n"));
  await waitFor("the event goes offline", 5000, async () => !(await eventLive("h264")));
});

test("a late viewer gets the SPS/PPS throng kept from an earlier keyframe", async () => {
  const publisher = await startPublisher("once", ["--parameter-sets=once"]);
  await publisher.waitLine("connected", /^connection-state connected/, 15_000);
  // The publisher's first keyframe request (throng's own, or the first viewer's passed on)
  // brings the only SPS/PPS it ever sends; every later keyframe comes without them.
  const first = await openViewer("once", "viewer (once)");
  await expectDecodesH264(first, "viewer (once)");
  await sleep(LATE_JOIN_MS);
  const late = await openViewer("once", "late viewer (once)");
  await expectDecodesH264(late, "late viewer (once)");
  const withSets = publisher.lines.filter((l) => l === "keyframe request: with parameter sets");
  const bare = publisher.lines.filter((l) => l === "keyframe request: without parameter sets");
  findings.push(`publisher (once): ${withSets.length} keyframe with SPS/PPS, ${bare.length} ` +
                "asked for later without them (and IDRs every 2 s without them)");
  assert.equal(withSets.length, 1, publisher.lines.join("\n"));
  await closeViewer(first);
  await closeViewer(late);
  assert.equal(await publisher.stop(), 0);
});

test("B-frames: throng warns; the viewer's picture is recorded", async () => {
  const publisher = await startPublisher("bframes", ["--bframes=2", "--profile=main"]);
  await publisher.waitLine("connected", /^connection-state connected/, 15_000);
  await waitFor("the B-frame warning in the server's log", 10_000, () =>
    /publisher of 'bframes' sends B-frames/.test(server.log()));
  const warning = server.log().split("\n").find((l) => l.includes("sends B-frames"));
  findings.push(`server: ${warning.trim()}`);
  // Chromium decodes Main profile (4d001f): the viewer is answered, and what it shows is noted.
  const viewer = await openViewer("bframes", "viewer (B-frames)");
  let fps = 0;
  try {
    fps = await expectDecodesH264(viewer, "viewer (B-frames)", { strict: false });
  } catch (error) {
    findings.push(`viewer (B-frames): ${error.message}`);
  }
  await sleep(3000);
  const { video } = await inbound(viewer);
  findings.push(`viewer (B-frames) 3 s later: ${describe(video)}; ${fps} fps earlier; ` +
                `fmtp ${video.fmtp}`);
  await viewer.screenshot({ path: join(artifactDir, "whip-h264-bframes.png") });
  findings.push(`viewer's picture (B-frames): ${describePicture(await pictureCheck(viewer))}`);
  console.log(findings.join("\n"));
  await closeViewer(viewer);
  assert.equal(await publisher.stop(), 0);
});

test("High profile: a browser without it gets the sound and is told why", async () => {
  // x264's ultrafast preset turns off what makes High profile High (gst_whip_publisher.py).
  const publisher = await startPublisher("high", ["--profile=high", "--speed-preset=veryfast"]);
  await publisher.waitLine("connected", /^connection-state connected/, 15_000);
  const viewer = await openViewer("high", "viewer (High)");
  const missing = await viewer.evaluate(() => window.player.missingVideo);
  assert.equal(missing, "H.264 High profile");
  const { audio } = await waitFor("Opus packets at the High-profile viewer", 10_000, async () => {
    const now = await inbound(viewer);
    return now.audio && now.audio.packetsReceived > 50 ? now : null;
  });
  const { video } = await inbound(viewer);
  findings.push(`viewer (High): ${describe(video)}; audio ${audio.mimeType} packets ` +
                `${audio.packetsReceived}; note "${await viewer.textContent("#stats")}"`);
  assert.equal(audio.mimeType, "audio/opus");
  assert.ok(!video || !video.framesDecoded, describe(video));
  assert.match(await viewer.textContent("#stats"),
               /This browser cannot play this stream's video \(H\.264 High profile\)/);
  await closeViewer(viewer);
  assert.equal(await publisher.stop(), 0);
});
