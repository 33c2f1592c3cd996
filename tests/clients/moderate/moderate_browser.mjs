// The moderation panel (/moderate/<event>) in headless Chromium, beside a viewer on the watch
// page (/live/<event>) in another browser context: a wrong password is refused on the page;
// the moderator (a service admin, so owner of every room) signs in with SCRAM over the
// page's WebSocket, removes the viewer's message with the keyboard and it disappears on the
// viewer's page; turns slow mode on and the viewer's quick second message is refused with the
// server's notice on the viewer's page; mutes an occupant on another XMPP client
// (@xmpp/client) picked from the people list, kicks one typed by name; and the audit log shows
// those actions. A room admin who is not an owner sees the server's refusal of the settings.
// Neither page logs an error or has a failed request. Desktop and phone-sized screenshots are
// kept in the test artifacts.
//
// Run by ctest as moderate_browser_test; by hand from tests/clients (after scripts/setup.sh has
// built web/assets/):
//   THRONG_BINARY=../../build/dev/src/cli/throng node --test moderate/moderate_browser.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { xml } from "@xmpp/client";
import { startThrong } from "../throng_server.mjs";
import { mucClients, statusCodes, join as joinRoom, iq } from "../muc_client.mjs";

const artifactDir =
  process.env.THRONG_ARTIFACT_DIR ??
  fileURLToPath(new URL("../../../build/dev/test-artifacts", import.meta.url));
const ROOM = "demo@rooms.localhost";
const MUC_USER = "http://jabber.org/protocol/muc#user";
const PASSWORDS = { mod: "moderator-secret-1", bob: "builder-1234", deputy: "second-in-command",
                    grace: "hopper-1906", linus: "pauling-1901" };

let server, browser, clients;
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

// A page in its own browser context (its own cookies and storage: another person), watched
// for console errors, page errors and failed or refused requests.
async function newPage(name, viewport = { width: 1280, height: 800 }) {
  const context = await browser.newContext({ viewport });
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
  page.on("requestfailed", (request) => problems.push(`${name}: failed: ${request.url()}`));
  page.on("response", (response) => {
    if (response.status() >= 400) {
      problems.push(`${name}: HTTP ${response.status()}: ${response.url()}`);
    }
  });
  return page;
}

async function signIn(page, account, password) {
  await page.fill("#account", account);
  await page.fill("#password", password);
  await page.press("#password", "Enter");
}

before(async () => {
  mkdirSync(artifactDir, { recursive: true });
  server = await startThrong({
    events: ["demo"],
    accounts: PASSWORDS,
    xmpp: ['admins = "mod@localhost"'],
    // The watch page plays the stream: without one its WHEP request is a 404.
    toml: ["[test_source]", "enabled = true", 'event = "demo"', 'codec = "vp8"',
           "width = 320", "height = 180", "video_bitrate_kbps = 300"],
  });
  clients = mucClients(server);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    timeout: 30_000,
    args: ["--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required"],
  });
});

after(async () => {
  writeFileSync(join(artifactDir, "moderate-browser.log"), browserLog.join("\n") + "\n");
  await clients?.closeAll();
  await browser?.close().catch(() => {});
  await server?.stop();
});

test("a moderator removes, slows, mutes and kicks from /moderate/demo; the viewer sees it", async () => {
  const base = `http://127.0.0.1:${server.ready.http.port}`;
  try {
    const viewer = await newPage("viewer");
    await viewer.goto(`${base}/live/demo`);
    await waitFor("the viewer to join the chat", 15_000, () =>
      viewer.evaluate(() => window.watch?.room?.joined || window.watch?.error));
    await viewer.fill("#nick", "Ada");
    await viewer.press("#nick", "Enter");
    await waitFor("the viewer's name", 5_000, () =>
      viewer.evaluate(() => window.watch.room.nick === "Ada"));

    // Occupants on @xmpp/client: an account (a participant, so in the people list) and an
    // anonymous viewer (a visitor: nobody receives its presence).
    const bob = await clients.account("bob", PASSWORDS.bob, "ws");
    await joinRoom(bob, ROOM, "Bob");
    const lurker = await clients.viewer();
    await joinRoom(lurker, ROOM, "lurker");

    // The panel: a wrong password is refused on the page, the right one signs in.
    const mod = await newPage("moderator");
    await mod.goto(`${base}/moderate/demo`);
    await waitFor("the panel to load", 10_000, () =>
      mod.evaluate(() => window.moderate?.ready || window.moderate?.error));
    assert.equal(await mod.evaluate(() => window.moderate.error), undefined);
    assert.equal(await mod.evaluate(() => document.activeElement.id), "account");
    await signIn(mod, "mod", "not-the-password");
    await mod.waitForSelector("#sign-in-error:has-text('Wrong account or password')");
    assert.equal(await mod.isVisible("#desk"), false);
    assert.equal(await mod.evaluate(() => document.activeElement.id), "password");
    await mod.screenshot({ path: join(artifactDir, "moderation-panel-sign-in.png") });
    await signIn(mod, "mod", PASSWORDS.mod);
    await waitFor("the moderator to join", 15_000, () =>
      mod.evaluate(() => window.moderate.joined && window.moderate.role));
    assert.equal(await mod.evaluate(() => window.moderate.role), "moderator");
    assert.equal(await mod.inputValue("#password"), "", "the password leaves the form");
    assert.match(await mod.textContent("#who"), /^mod@localhost · moderator$/);

    // The viewer speaks; the moderator removes the message with the keyboard: the list has
    // the focus after signing in, End goes to the newest message, Delete removes it.
    assert.equal(await mod.evaluate(() => document.activeElement.id), "messages");
    await viewer.fill("#text", "buy cheap followers");
    await viewer.press("#text", "Enter");
    await mod.waitForSelector("#messages li:has-text('buy cheap followers') button.delete");
    await mod.keyboard.press("End");
    await waitFor("the newest message to take the focus", 5_000, () => mod.evaluate(() =>
      document.activeElement.matches("#messages li") &&
      document.activeElement.textContent.includes("buy cheap followers")));
    await mod.keyboard.press("Delete");
    await viewer.waitForSelector(".messages li.removed");
    const texts = await viewer.$$eval(".messages li .text", (nodes) => nodes.map((n) => n.textContent));
    assert.ok(!texts.includes("buy cheap followers"), `still shown to the viewer: ${texts}`);
    assert.ok(texts.includes("(removed by a moderator)"));
    await mod.waitForSelector("#messages li.removed:has-text('(removed by a moderator)')");

    // Slow mode from the settings tab (the tabs move with the arrow keys).
    await mod.focus("#tab-people");
    await mod.keyboard.press("ArrowRight");
    assert.equal(await mod.evaluate(() => document.activeElement.id), "tab-settings");
    await mod.waitForSelector("#settings-fields:not([disabled])");
    assert.equal(await mod.inputValue("#slow-mode"), "0");
    await mod.fill("#slow-mode", "30");
    await mod.click("#settings-save");
    await mod.waitForSelector("#settings-status:has-text('Saved')");
    await viewer.fill("#text", "first after slow mode");
    await viewer.press("#text", "Enter");
    await viewer.fill("#text", "second too quickly");
    await viewer.press("#text", "Enter");
    const refusal = await viewer.waitForSelector(".messages li.notice:has-text('slow mode')");
    assert.match(await refusal.textContent(), /^Not sent: slow mode: one message every 30 seconds; wait \d+ more$/);

    // Bob, picked from the people list (searched by name), is muted: his client gets the role.
    await mod.click("#tab-people");
    await mod.fill("#search", "bo");
    await mod.click("#roster button[data-nick='Bob']");
    assert.equal(await mod.inputValue("#target"), "Bob");
    assert.equal(await mod.evaluate(() => document.activeElement.id), "target");
    await mod.fill("#reason", "calm down");
    await mod.click("button[data-action='mute']");
    await mod.waitForSelector("#act-status:has-text('Bob is muted')");
    await bob.waitFor((s) => s.is("presence") && statusCodes(s).includes(110) &&
      s.getChild("x", MUC_USER)?.getChild("item")?.attrs.role === "visitor", "Bob's new role");

    // The lurker is not listed (visitors' presence is not broadcast): typed by name, kicked.
    await mod.fill("#search", "lurk");
    await mod.waitForSelector("#roster-summary:has-text('Nobody by that name')");
    await mod.fill("#target", "lurker");
    await mod.fill("#reason", "flooding");
    await mod.click("button[data-action='kick']");
    await mod.waitForSelector("#act-status:has-text('lurker was kicked')");
    const kicked = await lurker.waitFor((s) => s.is("presence") && s.attrs.type === "unavailable" &&
      statusCodes(s).includes(307), "the kick");
    assert.equal(kicked.getChild("x", MUC_USER).getChild("item").getChildText("reason"), "flooding");

    // A refusal shows the server's text: kicking someone who is not there.
    await mod.fill("#target", "nobody-here");
    await mod.click("button[data-action='kick']");
    await mod.waitForSelector("#act-status:has-text('Refused: no occupant with that nickname')");

    // The audit log, newest first.
    await mod.click("#tab-log");
    await mod.waitForSelector("#log-entries li[data-action='kick']");
    const log = await mod.evaluate(() => window.moderate.log.map((e) => e.action));
    for (const action of ["retract", "config", "mute", "kick"]) {
      assert.ok(log.includes(action), `${action} in the log: ${log}`);
    }
    assert.equal(log[0], "kick", "newest first");
    const kickRow = await mod.textContent("#log-entries li[data-action='kick']");
    assert.match(kickRow, /mod kicked lurker — “flooding”/);
    assert.match(await mod.textContent("#log-entries li[data-action='retract']"),
                 /removed a message by Ada/);
    assert.match(await mod.textContent("#log-entries li[data-action='mute']"),
                 /mod muted Bob — “calm down”/);

    // A room admin who is not an owner: a moderator here, but the owner form is refused and
    // the panel says so instead of hiding the settings.
    const owner = await clients.account("mod", PASSWORDS.mod, "ws");
    await joinRoom(owner, ROOM, "mod-client");
    const granted = await iq(owner, { type: "set", to: ROOM },
      xml("query", { xmlns: "http://jabber.org/protocol/muc#admin" },
          xml("item", { jid: "deputy@localhost", affiliation: "admin" })));
    assert.equal(granted.attrs.type, "result");
    const deputy = await newPage("deputy");
    await deputy.goto(`${base}/moderate/demo`);
    await waitFor("the panel to load", 10_000, () => deputy.evaluate(() => window.moderate?.ready));
    await signIn(deputy, "deputy@localhost", PASSWORDS.deputy);
    await waitFor("the deputy to join", 15_000, () =>
      deputy.evaluate(() => window.moderate.joined && window.moderate.role));
    assert.equal(await deputy.evaluate(() => window.moderate.role), "moderator");
    await deputy.click("#tab-settings");
    await deputy.waitForSelector("#settings-note:has-text('only owners may configure the room')");
    assert.equal(await deputy.isVisible("#slow-mode"), true, "the settings stay in sight");
    assert.equal(await deputy.isDisabled("#settings-save"), true);
    await deputy.screenshot({ path: join(artifactDir, "moderation-panel-not-owner.png") });
    await deputy.click("#tab-log");  // admins read the log
    await deputy.waitForSelector("#log-entries li[data-action='kick']");

    // Bob, muted, may not speak.
    await bob.xmpp.send(xml("message", { to: ROOM, type: "groupchat", id: "b-1" },
                            xml("body", {}, "let me talk")));
    await bob.waitFor((s) => s.is("message") && s.attrs.type === "error" && s.attrs.id === "b-1",
                      "Bob refused");

    // The screenshots, with a few more people talking.
    for (const [name, text] of [["grace", "Is the talk recorded?"],
                                ["linus", "The audio is great from here."]]) {
      const c = await clients.account(name, PASSWORDS[name], "ws");
      const nick = name[0].toUpperCase() + name.slice(1);
      await joinRoom(c, ROOM, nick);
      await c.xmpp.send(xml("message", { to: ROOM, type: "groupchat" }, xml("body", {}, text)));
      await mod.waitForSelector(`#messages li:has-text('${text}')`);
    }
    await mod.click("#tab-log");
    await mod.click("#log-refresh");
    await mod.waitForSelector("#log-entries li[data-action='affiliation']");
    await mod.waitForTimeout(500);
    await mod.screenshot({ path: join(artifactDir, "moderation-panel.png") });
    await mod.click("#tab-settings");
    await mod.screenshot({ path: join(artifactDir, "moderation-panel-settings.png") });
    // Enter on a message picks its author for the people actions.
    await mod.focus("#messages");
    await mod.keyboard.press("End");
    await mod.keyboard.press("ArrowUp");
    await mod.keyboard.press("Enter");
    assert.equal(await mod.inputValue("#target"), "Grace");
    assert.equal(await mod.evaluate(() => document.activeElement.id), "target");
    assert.equal(await mod.isVisible("#people"), true);
    await mod.fill("#search", "");
    await mod.fill("#target", "Linus");
    await mod.setViewportSize({ width: 390, height: 844 });
    await mod.waitForTimeout(500);
    await mod.screenshot({ path: join(artifactDir, "moderation-panel-phone.png"), fullPage: true });
    await viewer.screenshot({ path: join(artifactDir, "moderation-viewer.png") });

    assert.deepEqual(problems, [], "a clean run logs no error and no failed request");
  } catch (error) {
    console.log(browserLog.join("\n"));
    console.log(server.log().slice(-4000));
    throw error;
  }
});

test("the moderation log on the public port takes accounts only, never the admin token", async () => {
  const url = `http://127.0.0.1:${server.ready.http.port}/api/v1/rooms/demo/moderation-log`;
  const basic = (user, password) =>
    ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });
  const owner = await fetch(url, { headers: basic("mod", PASSWORDS.mod) });
  assert.equal(owner.status, 200);
  assert.ok((await owner.json()).entries.length > 0);
  const none = await fetch(url);
  assert.equal(none.status, 401);
  assert.deepEqual(none.headers.get("www-authenticate"), 'Basic realm="throng admin", charset="UTF-8"');
  assert.equal((await fetch(url, { headers: { authorization: `Bearer ${server.adminToken}` } })).status, 401);
  assert.equal((await fetch(url, { headers: basic("mod", "wrong") })).status, 401);
  assert.equal((await fetch(url, { headers: basic("bob", PASSWORDS.bob) })).status, 403);
  assert.equal((await fetch(`http://127.0.0.1:${server.ready.http.port}/moderate/not a slug`)).status, 404);
});
