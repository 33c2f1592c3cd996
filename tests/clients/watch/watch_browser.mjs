// The watch page (/live/<event>) in headless Chromium, as a viewer uses it: the WebRTC player
// plays the event's test stream, the page joins the event's chat anonymously under a generated
// name, the viewer picks a name and chats with an occupant on another XMPP client
// (@xmpp/client); a moderator removes the viewer's message and it disappears from the page;
// nothing on the page logs an error. Screenshots (desktop and phone) are
// kept in the test artifacts.
//
// Run by ctest as watch_browser_test; by hand from tests/clients (after scripts/setup.sh has
// built web/assets/watch.js):
//   THRONG_BINARY=../../build/dev/src/cli/throng node --test watch/watch_browser.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { xml } from "@xmpp/client";
import { startThrong } from "../throng_server.mjs";
import { mucClients, MUC_NS, statusCodes, bodyIs, join as joinRoom, iq } from "../muc_client.mjs";

const artifactDir =
  process.env.THRONG_ARTIFACT_DIR ??
  fileURLToPath(new URL("../../../build/dev/test-artifacts", import.meta.url));
const ROOM = "demo@rooms.localhost";

let server, browser, context, page, clients;
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

before(async () => {
  mkdirSync(artifactDir, { recursive: true });
  server = await startThrong({
    events: ["demo"],
    accounts: { mod: "moderator-secret-1" },
    xmpp: ['admins = "mod@localhost"'],
    toml: ["[test_source]", "enabled = true", 'event = "demo"', 'codec = "vp8"',
           "width = 640", "height = 360", "video_bitrate_kbps = 800"],
  });
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
    if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
  });
  page.on("pageerror", (error) => {
    record(`[pageerror] ${error.stack ?? error}`);
    problems.push(`page error: ${error.message}`);
  });
  page.on("requestfailed", (request) => problems.push(`failed: ${request.url()}`));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
});

after(async () => {
  writeFileSync(join(artifactDir, "watch-browser.log"), browserLog.join("\n") + "\n");
  await clients?.closeAll();
  await browser?.close().catch(() => {});
  await server?.stop();
});

test("a viewer watches the stream and chats on /live/demo", async () => {
  try {
    await page.goto(`http://127.0.0.1:${server.ready.http.port}/live/demo`);
    // The chat: joined under a generated name, ready to send.
    await waitFor("the chat to join", 15_000, () =>
      page.evaluate(() => window.watch?.room?.joined || window.watch?.error));
    assert.equal(await page.evaluate(() => window.watch.error), undefined);
    assert.match(await page.inputValue("#nick"), /^viewer-\d{4}$/);

    // The player: connected, live, frames decoding at the source's size, muted until asked.
    await waitFor("frames decoded", 20_000, () => page.evaluate(async () => {
      const stats = await window.watch.player?.stats();
      return stats?.video?.framesDecoded > 30;
    }));
    const video = await page.evaluate(async () => (await window.watch.player.stats()).video);
    assert.equal(video.frameWidth, 640);
    assert.equal(video.frameHeight, 360);
    assert.equal(await page.textContent("#state"), "live");
    assert.equal(await page.evaluate(() => document.getElementById("video").muted), true);
    await page.click("#unmute");
    assert.equal(await page.evaluate(() => document.getElementById("video").muted), false);

    // Another occupant, on @xmpp/client.
    const other = await clients.viewer();
    await other.xmpp.send(xml("presence", { to: `${ROOM}/Grace` }, xml("x", { xmlns: MUC_NS })));
    await other.waitFor((s) => s.is("presence") && statusCodes(s).includes(110), "Grace joined");

    // The viewer picks a name (keyboard only) and speaks.
    await page.fill("#nick", "Ada Lovelace");
    await page.press("#nick", "Enter");
    await waitFor("the new name", 5_000, () =>
      page.evaluate(() => window.watch.room.nick === "Ada Lovelace"));
    await page.fill("#text", "hello from the watch page");
    await page.press("#text", "Enter");
    const heard = await other.waitFor(bodyIs("hello from the watch page"), "the viewer's message");
    assert.equal(heard.attrs.from, `${ROOM}/Ada Lovelace`);

    // The occupant answers; the page shows it with the name and its initials.
    await other.xmpp.send(xml("message", { to: ROOM, type: "groupchat" },
                              xml("body", {}, "hi Ada")));
    await page.waitForSelector(".messages li:has-text('hi Ada')");
    const row = await page.evaluate(() => {
      const item = [...document.querySelectorAll(".messages li")].find(
        (li) => li.textContent.includes("hi Ada"));
      return { nick: item.querySelector(".nick").textContent,
               initials: item.querySelector(".initials").textContent,
               colour: item.querySelector(".nick").style.color };
    });
    assert.equal(row.nick, "Grace");
    assert.equal(row.initials, "G");
    assert.ok(row.colour, "the name has its XEP-0392 colour");

    // A moderator (a service admin on another client) removes the viewer's message (XEP-0425):
    // the text disappears from the page.
    const mod = await clients.account("mod", "moderator-secret-1", "ws");
    await joinRoom(mod, ROOM, "Moderator");
    const stanzaId = heard.getChildren("stanza-id", "urn:xmpp:sid:0")
      .find((s) => s.attrs.by === ROOM).attrs.id;
    const done = await iq(mod, { type: "set", to: ROOM },
      xml("moderate", { xmlns: "urn:xmpp:message-moderate:1", id: stanzaId },
          xml("retract", { xmlns: "urn:xmpp:message-retract:1" })));
    assert.equal(done.attrs.type, "result");
    await page.waitForSelector(".messages li.removed");
    const texts = await page.$$eval(".messages li .text", (nodes) => nodes.map((n) => n.textContent));
    assert.ok(!texts.includes("hello from the watch page"), `still shown: ${texts}`);
    assert.ok(texts.includes("(removed by a moderator)"));

    await page.waitForTimeout(1000);
    await page.screenshot({ path: join(artifactDir, "watch-page.png") });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(artifactDir, "watch-page-phone.png"), fullPage: true });
    assert.deepEqual(problems, [], "a clean run logs no error and no failed request");
  } catch (error) {
    console.log(browserLog.join("\n"));
    console.log(server.log().slice(-4000));
    throw error;
  }
});
