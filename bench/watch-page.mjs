// How the watch page holds up in a busy chat: headless Chromium opens /live/demo (playing the
// test stream), then an @xmpp/client talker sends RATE messages a second to the room for
// SECONDS. The page's main-thread busy time (Chrome's TaskDuration: every task on the main
// thread) and its DOM size are read through the DevTools protocol over the same length of
// time with the chat quiet and with the chat busy, side by side.
//
//   node --experimental-websocket bench/watch-page.mjs            (RATE=50 SECONDS=60)
//   RATE=100 SECONDS=30 node --experimental-websocket bench/watch-page.mjs
//
// Everything runs on loopback; the run is bounded by SECONDS (at most 600) and RATE (at most
// 500). It uses a release build when there is one (THRONG_BINARY overrides).
import { createRequire } from "node:module";
import { existsSync } from "node:fs";

const clients = new URL("../tests/clients/", import.meta.url);
const require = createRequire(new URL("package.json", clients));
const { chromium } = require("playwright-core");
const { client, xml } = await import(require.resolve("@xmpp/client"));
const release = new URL("../build/release/src/cli/throng", import.meta.url).pathname;
if (!process.env.THRONG_BINARY && existsSync(release)) process.env.THRONG_BINARY = release;
const { startThrong } = await import(new URL("throng_server.mjs", clients));

const RATE = Math.min(500, Math.max(1, Number(process.env.RATE ?? 50)));
const SECONDS = Math.min(600, Math.max(5, Number(process.env.SECONDS ?? 60)));
const ROOM = "demo@rooms.localhost";

const server = await startThrong({
  events: ["demo"],
  // The page's own chat may not be rate-limited away from the test: the talker is one client.
  xmpp: ["rate_stanzas_per_second = 1000", "rate_stanzas_burst = 2000"],
  toml: ["[test_source]", "enabled = true", 'event = "demo"', 'codec = "vp8"', "width = 640",
         "height = 360", "video_bitrate_kbps = 800"],
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"],
});
let talker;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`http://127.0.0.1:${server.ready.http.port}/live/demo`);
  await page.waitForFunction(() => window.watch?.room?.joined && window.watch?.player, null,
                             { timeout: 20_000 });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const metrics = async () => Object.fromEntries(
    (await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
  const domSize = () => page.evaluate(() => ({
    nodes: document.getElementsByTagName("*").length,
    messages: document.querySelectorAll(".messages li").length,
  }));

  async function measure(label, during) {
    const before = await metrics();
    const started = performance.now();
    await during();
    const wall = (performance.now() - started) / 1000;
    const after = await metrics();
    const busy = (after.TaskDuration - before.TaskDuration) / wall;
    const script = (after.ScriptDuration - before.ScriptDuration) / wall;
    const layout = (after.LayoutDuration - before.LayoutDuration + after.RecalcStyleDuration -
                    before.RecalcStyleDuration) / wall;
    const dom = await domSize();
    const frames = (await page.evaluate(async () =>
      (await window.watch.player.stats()).video?.framesDecoded)) ?? 0;
    return { label, wall_s: wall, main_thread_busy_pct: 100 * busy, script_pct: 100 * script,
             style_layout_pct: 100 * layout, dom_elements: dom.nodes, messages_shown: dom.messages,
             js_heap_mb: after.JSHeapUsedSize / 1e6, frames_decoded: frames };
  }

  const quiet = await measure("quiet chat", () => new Promise((r) => setTimeout(r, SECONDS * 1000)));

  talker = client({ service: server.ws, domain: "anon.localhost" });
  talker.on("error", () => {});
  await talker.start();
  await talker.send(xml("presence", { to: `${ROOM}/talker` },
                        xml("x", { xmlns: "http://jabber.org/protocol/muc" },
                            xml("history", { maxstanzas: "0" }))));
  await new Promise((r) => setTimeout(r, 500));
  let sent = 0;
  const busy = await measure(`${RATE} messages/s`, async () => {
    const start = Date.now();
    while (Date.now() - start < SECONDS * 1000) {
      const due = Math.floor(((Date.now() - start) / 1000) * RATE);
      while (sent < due) {
        sent += 1;
        await talker.send(xml("message", { to: ROOM, type: "groupchat" },
                              xml("body", {}, `message ${sent}: the quick brown fox jumps over the lazy dog`)));
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  });
  const seen = await page.evaluate(() => document.querySelector(".messages li:last-child")?.textContent ?? "");
  busy.messages_sent = sent;
  busy.last_shown = seen.slice(0, 60);

  const rows = [quiet, busy];
  console.log(`\nwatch page, ${SECONDS} s each, Chromium ${browser.version()} headless, 1280x800`);
  console.log("| chat | main thread busy % | script % | style+layout % | DOM elements | messages shown | JS heap MB | frames decoded |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const r of rows) {
    console.log(`| ${r.label} | ${r.main_thread_busy_pct.toFixed(1)} | ${r.script_pct.toFixed(1)} | ` +
                `${r.style_layout_pct.toFixed(1)} | ${r.dom_elements} | ${r.messages_shown} | ` +
                `${r.js_heap_mb.toFixed(1)} | ${r.frames_decoded} |`);
  }
  console.log(`\nbusy / quiet main-thread time: ${(busy.main_thread_busy_pct / Math.max(0.01, quiet.main_thread_busy_pct)).toFixed(2)}; ` +
              `messages sent ${sent}, last shown: "${busy.last_shown}"`);
  console.log(JSON.stringify({ rate: RATE, seconds: SECONDS, rows }));
} finally {
  await talker?.stop().catch(() => {});
  await browser.close().catch(() => {});
  await server.stop();
}
