// ConverseJS (npm converse.js), a web chat client nobody here wrote, in headless Chromium
// (Debian's chromium, driven by playwright-core) against the real throng binary: anonymous login
// over XMPP-over-WebSocket, joining the event's room (XEP-0045), and groupchat messages both ways
// with an @xmpp/client occupant; then a moderator removes the browser's message (XEP-0425) and
// sets slow mode (XEP-0500), and ConverseJS must show both. Leaves full-page screenshots in the
// test artifact directory.
//
// Run by ctest as converse_browser_test; by hand from tests/clients:
//   THRONG_BINARY=../../build/dev/src/cli/throng node --experimental-websocket --test converse/converse_browser.mjs
//
// Environment: THRONG_BINARY (the server), THRONG_ARTIFACT_DIR (screenshot and browser log;
// default build/dev/test-artifacts), CHROMIUM (default /usr/bin/chromium), THRONG_CONVERSE_EVENT
// (the event the test creates through the admin API; its room <slug>@<MUC domain> is the one
// joined; default "demo").
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { client, xml } from "@xmpp/client";
import { startThrong } from "../throng_server.mjs";
import { startPageServer } from "./page_server.mjs";

const artifactDir =
  process.env.THRONG_ARTIFACT_DIR ??
  fileURLToPath(new URL("../../../build/dev/test-artifacts", import.meta.url));
const screenshotPath = join(artifactDir, "converse.png");
const browserLogPath = join(artifactDir, "converse-browser.log");

const LOGIN_TIMEOUT = 30_000;  // page load, Converse start and anonymous login
const JOIN_TIMEOUT = 20_000;
const MESSAGE_TIMEOUT = 10_000;

let server, pages, browser, page, roomJid, occupant, moderator, browserMessage;
const browserLog = [];
const record = (line) => browserLog.push(`${new Date().toISOString().slice(11, 23)} ${line}`);
let failed = false;
// Each stage needs the one before; a later test fails at once (not after its timeouts) saying so.
const reached = { login: false, room: false, occupant: false };
let screenshotTaken = false;

// Runs one test body; on failure prints the browser's console (Converse logs every stanza at
// loglevel debug) and the WebSocket frames, then rethrows.
async function step(body) {
  try {
    await body();
  } catch (error) {
    if (!failed) {
      failed = true;
      console.log(`--- browser console and WebSocket frames (${browserLog.length} lines) ---`);
      console.log(browserLog.join("\n"));
      console.log("--- page server requests ---");
      console.log(pages?.requests.join("\n"));
      console.log("--- throng log ---");
      console.log(server?.log());
    }
    throw error;
  }
}

function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Resolves with the first stanza the client receives that matches; bounded.
function nextStanza(xmpp, matches, ms, what) {
  let onStanza;
  const received = new Promise((resolve) => {
    onStanza = (stanza) => {
      if (matches(stanza)) resolve(stanza);
    };
    xmpp.on("stanza", onStanza);
  });
  return withTimeout(received, ms, what).finally(() => xmpp.removeListener("stanza", onStanza));
}

before(async () => {
  mkdirSync(artifactDir, { recursive: true });
  // Every event gets its chat room (XEP-0045), which anyone may enter.
  const event = process.env.THRONG_CONVERSE_EVENT ?? "demo";
  // A moderator account (xmpp.admins own every room) for the moderation tests.
  server = await startThrong({ events: [event], accounts: { mod: "moderator-pass-1" },
                               xmpp: ['admins = "mod@localhost"'] });
  roomJid = `${event}@${server.ready.xmpp.muc_domain}`;
  pages = await startPageServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    timeout: 30_000,
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(LOGIN_TIMEOUT);
  // Loopback only: any other request from the page is refused (and shows in the log).
  await context.route(/^(?!https?:\/\/127\.0\.0\.1[:/])/, (route) => {
    record(`[blocked] ${route.request().url()}`);
    return route.abort();
  });
  page = await context.newPage();
  // Converse logs each stanza as console.debug('%c%s', 'color: …', xml): keep just the xml.
  page.on("console", (msg) =>
    record(`[${msg.type()}] ${msg.text().replace(/^%c%s color: \S+ /, "")}`));
  page.on("pageerror", (error) => record(`[pageerror] ${error.stack ?? error}`));
  page.on("requestfailed", (r) => record(`[requestfailed] ${r.url()} ${r.failure()?.errorText}`));
  page.on("websocket", (ws) => {
    record(`[websocket] open ${ws.url()}`);
    ws.on("framesent", (f) => record(`[ws >>] ${f.payload}`));
    ws.on("framereceived", (f) => record(`[ws <<] ${f.payload}`));
    ws.on("close", () => record("[websocket] closed"));
    ws.on("socketerror", (e) => record(`[websocket] error ${e}`));
  });
});

after(async () => {
  try {
    if (page && !screenshotTaken) {
      await page.screenshot({ path: screenshotPath, fullPage: true, timeout: 10_000 })
        .then(() => console.log(`screenshot (after a failure): ${screenshotPath}`))
        .catch(() => {});
    }
    writeFileSync(browserLogPath, browserLog.join("\n") + "\n");
    console.log(`browser log: ${browserLogPath}`);
  } finally {
    await occupant?.stop().catch(() => {});
    await moderator?.stop().catch(() => {});
    await browser?.close().catch(() => {});
    await pages?.close().catch(() => {});
    await server?.stop();
  }
});

test("ConverseJS logs in anonymously over XMPP-over-WebSocket", () => step(async () => {
  const url = new URL(pages.url);
  url.searchParams.set("ws", server.ws);
  url.searchParams.set("domain", server.ready.xmpp.anonymous_domain);
  url.searchParams.set("room", roomJid);
  url.searchParams.set("nick", "browser");
  await page.goto(url.href, { timeout: LOGIN_TIMEOUT });
  // Converse's 'connected' event comes once Strophe reports CONNECTED (SASL, bind and, when
  // the server offers it, the RFC 3921 session IQ all succeeded); a failed login disconnects.
  const outcome = await page.waitForFunction(() => {
    const events = window.throngTest?.events ?? [];
    if (events.includes("disconnected")) return "disconnected";
    return events.includes("connected") && window.throngTest.api.connection.connected() &&
      "connected";
  }, null, { timeout: LOGIN_TIMEOUT });
  assert.equal(await outcome.jsonValue(), "connected",
               "ConverseJS gave up the login (its log and the WebSocket frames are printed above)");
  const jid = await page.evaluate(() => window.throngTest.api.user.jid());
  const domain = server.ready.xmpp.anonymous_domain.replaceAll(".", "\\.");
  assert.match(jid, new RegExp(`^[0-9a-f]{32}@${domain}/.+$`));
  reached.login = true;
}));

test("ConverseJS joins the event's room", () => step(async () => {
  assert.ok(reached.login, "ConverseJS did not log in (see the first test)");
  await page.waitForFunction(async (jid) => {
    const { api, ROOMSTATUS } = window.throngTest;
    const room = await api.rooms.get(jid);
    return room?.session?.get("connection_status") === ROOMSTATUS.ENTERED;
  }, roomJid, { timeout: JOIN_TIMEOUT, polling: 200 });
  // The room's view with its message box is on screen.
  await page.locator(`converse-muc[jid="${roomJid}"] textarea.chat-textarea`)
    .waitFor({ state: "visible", timeout: JOIN_TIMEOUT });
  reached.room = true;
}));

test("a message typed into ConverseJS reaches an @xmpp/client occupant", () => step(async () => {
  assert.ok(reached.room, `ConverseJS is not in ${roomJid} (see the test before)`);
  occupant = client({ service: server.ws, domain: server.ready.xmpp.anonymous_domain,
                      resource: "occupant" });
  occupant.on("error", () => {});
  await withTimeout(occupant.start(), LOGIN_TIMEOUT, "@xmpp/client login");
  // XEP-0045 §7.2: enter the room; the join is done at the self-presence (status 110).
  const selfPresence = nextStanza(occupant, (s) => s.is("presence") &&
      s.attrs.from === `${roomJid}/listener` &&
      s.getChild("x", "http://jabber.org/protocol/muc#user")?.getChildren("status")
        .some((status) => status.attrs.code === "110"),
    JOIN_TIMEOUT, `self-presence from ${roomJid}/listener`);
  await occupant.send(xml("presence", { to: `${roomJid}/listener` },
    xml("x", { xmlns: "http://jabber.org/protocol/muc" })));
  const presence = await selfPresence;
  assert.notEqual(presence.attrs.type, "error");
  reached.occupant = true;

  const body = `hello from ConverseJS ${Date.now()}`;
  const received = nextStanza(occupant, (s) => s.is("message") && s.getChildText("body") === body,
    MESSAGE_TIMEOUT, `groupchat message "${body}" at the occupant`);
  const textarea = page.locator(`converse-muc[jid="${roomJid}"] textarea.chat-textarea`);
  await textarea.fill(body, { timeout: MESSAGE_TIMEOUT });
  await textarea.press("Enter", { timeout: MESSAGE_TIMEOUT });
  const message = await received;
  browserMessage = message;
  assert.equal(message.attrs.type, "groupchat");
  assert.equal(message.attrs.from, `${roomJid}/browser`);
}));

test("a groupchat message from @xmpp/client appears in ConverseJS", () => step(async () => {
  assert.ok(reached.room && reached.occupant,
            "ConverseJS and the @xmpp/client occupant are not both in the room (see above)");
  const body = `hello from @xmpp/client ${Date.now()}`;
  await occupant.send(xml("message", { to: roomJid, type: "groupchat" }, xml("body", {}, body)));
  await page.locator(`converse-muc[jid="${roomJid}"] .chat-msg__text`, { hasText: body })
    .waitFor({ state: "visible", timeout: MESSAGE_TIMEOUT });
  await page.screenshot({ path: screenshotPath, fullPage: true, timeout: 10_000 });
  screenshotTaken = true;
  console.log(`screenshot: ${screenshotPath}`);
}));

// An @xmpp/client moderator (an xmpp.admins account) in the room; IQs answered in order.
async function moderatorInRoom() {
  if (moderator) return moderator;
  moderator = client({ service: server.ws, domain: "localhost", username: "mod",
                       password: "moderator-pass-1", resource: "mod" });
  moderator.on("error", () => {});
  await withTimeout(moderator.start(), LOGIN_TIMEOUT, "moderator login");
  const joined = nextStanza(moderator, (s) => s.is("presence") && s.attrs.from === `${roomJid}/Moderator`,
    JOIN_TIMEOUT, "moderator self-presence");
  await moderator.send(xml("presence", { to: `${roomJid}/Moderator` },
    xml("x", { xmlns: "http://jabber.org/protocol/muc" })));
  await joined;
  return moderator;
}

test("a moderator removes the browser's message and ConverseJS shows it as removed", () => step(async () => {
  assert.ok(browserMessage, "no message from ConverseJS to remove (see above)");
  const mod = await moderatorInRoom();
  const stanzaId = browserMessage.getChild("stanza-id", "urn:xmpp:sid:0").attrs.id;
  const answer = await withTimeout(mod.iqCaller.request(xml("iq", { type: "set", to: roomJid },
    xml("moderate", { xmlns: "urn:xmpp:message-moderate:1", id: stanzaId },
      xml("retract", { xmlns: "urn:xmpp:message-retract:1" }), xml("reason", {}, "off topic")))),
    MESSAGE_TIMEOUT, "the moderation IQ");
  assert.equal(answer.attrs.type, "result");
  // ConverseJS marks a retracted message (chat-msg--retracted) and drops its text.
  await page.locator(`converse-muc[jid="${roomJid}"] .chat-msg--retracted`)
    .first().waitFor({ state: "visible", timeout: MESSAGE_TIMEOUT });
  const body = browserMessage.getChildText("body");
  assert.equal(await page.locator(`converse-muc[jid="${roomJid}"] .chat-msg__text`, { hasText: body }).count(), 0,
               "the removed text is gone from the page");
  await page.screenshot({ path: join(artifactDir, "converse-moderated.png"), fullPage: true, timeout: 10_000 });
}));

test("slow mode rejects a second message and ConverseJS shows why", () => step(async () => {
  assert.ok(reached.room, `ConverseJS is not in ${roomJid} (see above)`);
  const mod = await moderatorInRoom();
  const field = (v, value) => xml("field", { var: v }, xml("value", {}, value));
  const answer = await withTimeout(mod.iqCaller.request(xml("iq", { type: "set", to: roomJid },
    xml("query", { xmlns: "http://jabber.org/protocol/muc#owner" },
      xml("x", { xmlns: "jabber:x:data", type: "submit" },
        field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig"),
        field("muc#roomconfig_slow_mode_duration", "60"))))), MESSAGE_TIMEOUT, "the configuration IQ");
  assert.equal(answer.attrs.type, "result");
  const textarea = page.locator(`converse-muc[jid="${roomJid}"] textarea.chat-textarea`);
  for (const text of ["first under slow mode", "second under slow mode"]) {
    await textarea.fill(text, { timeout: MESSAGE_TIMEOUT });
    await textarea.press("Enter", { timeout: MESSAGE_TIMEOUT });
  }
  // ConverseJS shows the stanza error's text on the refused message ("Message delivery failed").
  await page.locator(`converse-muc[jid="${roomJid}"] .chat-msg__body--wrapper.error`)
    .filter({ hasText: "second under slow mode" })
    .waitFor({ state: "visible", timeout: MESSAGE_TIMEOUT });
  await page.getByText(/slow mode: one message every 60 seconds/).first()
    .waitFor({ state: "visible", timeout: MESSAGE_TIMEOUT });
  await page.screenshot({ path: join(artifactDir, "converse-slow-mode.png"), fullPage: true, timeout: 10_000 });
}));
