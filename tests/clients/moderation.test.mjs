// Moderation with @xmpp/client against the real server: XEP-0425 message moderation in both
// forms, XEP-0424 retraction by the author, XEP-0308 correction by occupant id, mute (voice
// revoked, kept across a rejoin), "anonymous users are muted", bans by address for anonymous
// users, the moderation delay, the word filter, slow mode (XEP-0500) and the audit log.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { xml } from "@xmpp/client";
import { startThrong } from "./throng_server.mjs";
import { mucClients, join, groupchat, iq, bodyIs, errorCondition, errorText, statusCodes, sleep } from "./muc_client.mjs";

const MAM = "urn:xmpp:mam:2";
const OWNER = "http://jabber.org/protocol/muc#owner";
const ADMIN = "http://jabber.org/protocol/muc#admin";
const RETRACT = "urn:xmpp:message-retract:1";
let server;
const { viewer, account, closeAll } = mucClients({ get ws() { return server.ws; }, get tcp() { return server.tcp; } });
const alice = () => account("alice", "wonderland-42", "tcp");
const bob = () => account("bob", "builder-1234", "ws");

before(async () => {
  server = await startThrong({
    accounts: { alice: "wonderland-42", bob: "builder-1234" },
    // Bans by address apply to loopback here (no proxy in front of this server).
    xmpp: ['admins = "alice@localhost"', 'proxy_addresses = ""', "rate_stanzas_per_second = 500",
      "rate_stanzas_burst = 1000"],
  });
});
after(async () => {
  await closeAll();
  await server?.stop();
  if (server) rmSync(server.dir, { recursive: true, force: true });
});

const field = (v, ...values) => xml("field", { var: v }, ...values.map((x) => xml("value", {}, x)));
const configure = (owner, room, fields) => iq(owner, { type: "set", to: room },
  xml("query", { xmlns: OWNER }, xml("x", { xmlns: "jabber:x:data", type: "submit" },
    field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig"), ...fields)));

// Alice (a service admin) creates and opens a room with these settings.
async function openRoom(name, fields = []) {
  const room = `${name}@rooms.localhost`;
  const a = await alice();
  await join(a, room, "Alice");
  const done = await configure(a, room, [field("muc#roomconfig_persistentroom", "1"), ...fields]);
  assert.equal(done.attrs.type, "result", `configuring ${room}`);
  return { room, a };
}
const stanzaIdOf = (s) => s.getChild("stanza-id", "urn:xmpp:sid:0").attrs.id;
const send = (c, room, body, attrs = {}, ...children) =>
  c.xmpp.send(xml("message", { to: room, type: "groupchat", ...attrs }, xml("body", {}, body), ...children));
const errorFor = (id) => (s) => s.is("message") && s.attrs.type === "error" && s.attrs.id === id;

async function archiveOf(c, room) {
  const before = c.inbox.length;
  await iq(c, { type: "set", to: room }, xml("query", { xmlns: MAM, queryid: "all" }));
  return c.inbox.splice(before).filter((s) => s.getChild("result", MAM))
    .map((r) => r.getChild("result", MAM).getChild("forwarded", "urn:xmpp:forward:0").getChild("message"));
}

test("a moderator retracts a message (XEP-0425, both forms); the archive keeps a tombstone", async () => {
  const { room, a } = await openRoom("mod-retract");
  const v = await viewer();
  await join(v, room, "spammer");
  const w = await viewer();
  await join(w, room, "witness");
  await groupchat(v, room, "buy cheap stuff");
  const spam = await w.waitFor(bodyIs("buy cheap stuff"), "the spam");
  const sid = stanzaIdOf(spam);

  // Not a moderator: forbidden.
  const refused = await iq(w, { type: "set", to: room },
    xml("moderate", { xmlns: "urn:xmpp:message-moderate:1", id: sid }, xml("retract", { xmlns: RETRACT })));
  assert.equal(errorCondition(refused), "forbidden");

  const done = await iq(a, { type: "set", to: room },
    xml("moderate", { xmlns: "urn:xmpp:message-moderate:1", id: sid },
      xml("retract", { xmlns: RETRACT }), xml("reason", {}, "spam")));
  assert.equal(done.attrs.type, "result");
  const notice = await w.waitFor((s) => s.getChild("retract", RETRACT)?.attrs.id === sid, "the retraction notice");
  const moderated = notice.getChild("retract", RETRACT).getChild("moderated", "urn:xmpp:message-moderate:1");
  assert.equal(moderated.attrs.by, `${room}/Alice`);
  assert.equal(notice.getChild("retract", RETRACT).getChildText("reason"), "spam");
  // The older fastening form rides along for clients that only know it.
  assert.equal(notice.getChild("apply-to", "urn:xmpp:fasten:0")?.attrs.id, sid);

  const archived = await archiveOf(w, room);
  const tombstone = archived.find((m) => stanzaIdOf(m) === sid);
  assert.ok(tombstone, "the tombstone keeps the message's place");
  assert.equal(tombstone.getChild("body"), undefined, "no body left");
  assert.ok(tombstone.getChild("retracted", RETRACT)?.getChild("moderated", "urn:xmpp:message-moderate:1"));

  // The 0.2 request form, and an unknown id.
  await groupchat(v, room, "more spam");
  const spam2 = await w.waitFor(bodyIs("more spam"), "more spam");
  const old = await iq(a, { type: "set", to: room },
    xml("apply-to", { xmlns: "urn:xmpp:fasten:0", id: stanzaIdOf(spam2) },
      xml("moderate", { xmlns: "urn:xmpp:message-moderate:0" }, xml("retract", { xmlns: "urn:xmpp:message-retract:0" }))));
  assert.equal(old.attrs.type, "result");
  await w.waitFor((s) => s.getChild("retract", RETRACT)?.attrs.id === stanzaIdOf(spam2), "the second notice");
  const unknown = await iq(a, { type: "set", to: room },
    xml("moderate", { xmlns: "urn:xmpp:message-moderate:1", id: "nope" }, xml("retract", { xmlns: RETRACT })));
  assert.equal(errorCondition(unknown), "item-not-found");
});

test("authors retract (XEP-0424) and correct (XEP-0308) only their own messages", async () => {
  const { room } = await openRoom("own-messages");
  const v = await viewer();
  await join(v, room, "author");
  const other = await viewer();
  await join(other, room, "other");
  await send(v, room, "tpyo", { id: "m-1" });
  const original = await other.waitFor(bodyIs("tpyo"), "the original");
  const sid = stanzaIdOf(original);

  // Someone else's correction or retraction is refused.
  await send(other, room, "hijack", { id: "bad-1" }, xml("replace", { xmlns: "urn:xmpp:message-correct:0", id: "m-1" }));
  assert.equal(errorCondition(await other.waitFor(errorFor("bad-1"), "refused correction")), "forbidden");
  await other.xmpp.send(xml("message", { to: room, type: "groupchat", id: "bad-2" },
    xml("retract", { xmlns: RETRACT, id: sid }), xml("body", {}, "retracted")));
  assert.equal(errorCondition(await other.waitFor(errorFor("bad-2"), "refused retraction")), "forbidden");

  // The author's correction goes through.
  await send(v, room, "typo", { id: "m-2" }, xml("replace", { xmlns: "urn:xmpp:message-correct:0", id: "m-1" }));
  const fixed = await other.waitFor(bodyIs("typo"), "the correction");
  assert.equal(fixed.getChild("replace", "urn:xmpp:message-correct:0").attrs.id, "m-1");

  // The author's retraction is broadcast and archived; the original becomes a tombstone.
  await v.xmpp.send(xml("message", { to: room, type: "groupchat", id: "r-1" },
    xml("retract", { xmlns: RETRACT, id: sid }), xml("fallback", { xmlns: "urn:xmpp:fallback:0", for: RETRACT }),
    xml("body", {}, "/me retracted a message"), xml("store", { xmlns: "urn:xmpp:hints" })));
  await other.waitFor((s) => s.getChild("retract", RETRACT)?.attrs.id === sid, "the retraction");
  const archived = await archiveOf(other, room);
  const tombstone = archived.find((m) => stanzaIdOf(m) === sid);
  assert.ok(tombstone.getChild("retracted", RETRACT));
  assert.equal(tombstone.getChild("body"), undefined);
  assert.ok(archived.some((m) => m.getChild("retract", RETRACT)), "the retraction itself is archived");
});

test("mute revokes voice, also across a rejoin; 'anonymous users are muted' silences viewers only", async () => {
  const { room, a } = await openRoom("mute");
  const b = await bob();
  await join(b, room, "Bob");
  await groupchat(b, room, "hello");
  await a.waitFor(bodyIs("hello"), "Bob speaks");
  const muted = await iq(a, { type: "set", to: room },
    xml("query", { xmlns: ADMIN }, xml("item", { nick: "Bob", role: "visitor" }, xml("reason", {}, "calm down"))));
  assert.equal(muted.attrs.type, "result");
  await send(b, room, "still talking", { id: "b-1" });
  assert.equal(errorCondition(await b.waitFor(errorFor("b-1"), "no voice")), "forbidden");
  // Leaving and coming back does not give the voice back.
  await b.xmpp.send(xml("presence", { to: `${room}/Bob`, type: "unavailable" }));
  await b.waitFor((s) => s.is("presence") && s.attrs.type === "unavailable" && statusCodes(s).includes(110), "left");
  await join(b, room, "Bob");
  await send(b, room, "again", { id: "b-2" });
  assert.equal(errorCondition(await b.waitFor(errorFor("b-2"), "still muted")), "forbidden");
  await iq(a, { type: "set", to: room }, xml("query", { xmlns: ADMIN }, xml("item", { nick: "Bob", role: "participant" })));
  await groupchat(b, room, "thanks");
  await a.waitFor(bodyIs("thanks"), "unmuted");

  assert.equal((await configure(a, room, [field("throng#roomconfig_anonymous_muted", "1")])).attrs.type, "result");
  const v = await viewer();
  const self = (await join(v, room, "lurker")).find((s) => s.is("presence") && statusCodes(s).includes(110));
  assert.equal(self.getChild("x", "http://jabber.org/protocol/muc#user").getChild("item").attrs.role, "visitor");
  await send(v, room, "can I talk?", { id: "v-1" });
  assert.equal(errorCondition(await v.waitFor(errorFor("v-1"), "anonymous muted")), "forbidden");
  await groupchat(b, room, "accounts still speak");
  await a.waitFor(bodyIs("accounts still speak"), "Bob speaks");
});

test("banning an anonymous user bans their address; accounts from it still join", async () => {
  const { room, a } = await openRoom("ip-ban", [field("throng#roomconfig_ban_anonymous_by_address", "1")]);
  const v = await viewer();
  await join(v, room, "troll");
  const bare = v.jid.split("/")[0];
  const ban = await iq(a, { type: "set", to: room },
    xml("query", { xmlns: ADMIN }, xml("item", { jid: bare, affiliation: "outcast" }, xml("reason", {}, "trolling"))));
  assert.equal(ban.attrs.type, "result");
  const gone = await v.waitFor((s) => s.is("presence") && s.attrs.type === "unavailable" && statusCodes(s).includes(301), "banned");
  assert.ok(gone);
  // A new anonymous session (a new JID) from the same address is refused.
  const again = await viewer();
  await again.xmpp.send(xml("presence", { to: `${room}/troll2` }, xml("x", { xmlns: "http://jabber.org/protocol/muc" })));
  const refused = await again.waitFor((s) => s.is("presence") && s.attrs.type === "error", "refused");
  assert.equal(errorCondition(refused), "forbidden");
  const b = await bob();
  await join(b, room, "Bob");
});

test("the moderation delay shows a message to moderators first; one removed meanwhile never reaches viewers", async () => {
  const { room, a } = await openRoom("delayed", [field("throng#roomconfig_moderation_delay", "2")]);
  const v = await viewer();
  await join(v, room, "talker");
  const w = await viewer();
  await join(w, room, "reader");
  const sentAt = Date.now();
  await groupchat(v, room, "held message");
  await a.waitFor(bodyIs("held message"), "moderators see it at once", 1000);
  await v.waitFor(bodyIs("held message"), "the author sees their own message", 1000);
  await sleep(800);
  assert.ok(!w.inbox.some(bodyIs("held message")), "viewers do not see it yet");
  await w.waitFor(bodyIs("held message"), "viewers see it after the delay", 4000);
  assert.ok(Date.now() - sentAt >= 1800, "not before the delay");

  await groupchat(v, room, "bad held message");
  const bad = await a.waitFor(bodyIs("bad held message"), "the moderator sees it");
  const done = await iq(a, { type: "set", to: room },
    xml("moderate", { xmlns: "urn:xmpp:message-moderate:1", id: stanzaIdOf(bad) }, xml("retract", { xmlns: RETRACT })));
  assert.equal(done.attrs.type, "result");
  await sleep(3000);
  assert.ok(!w.inbox.some(bodyIs("bad held message")), "removed before anyone else saw it");
});

test("the word filter refuses matching messages with a reason; bad patterns are refused at configuration", async () => {
  const { room, a } = await openRoom("filtered", [field("throng#roomconfig_word_filter", "bad\\s*word", "spam+")]);
  const v = await viewer();
  await join(v, room, "talker");
  await send(v, room, "this has a BAD  WORD in it", { id: "f-1" });
  const refused = await v.waitFor(errorFor("f-1"), "filtered");
  assert.equal(errorCondition(refused), "policy-violation");
  assert.match(errorText(refused), /does not allow/);
  await groupchat(v, room, "a clean message");
  await a.waitFor(bodyIs("a clean message"), "clean messages pass");
  // A filtered room bounds what one message can cost its worker.
  await send(v, room, "x".repeat(3000), { id: "f-long" });
  assert.match(errorText(await v.waitFor(errorFor("f-long"), "too long")), /limited to 2048 bytes/);

  for (const [what, patterns] of [
    ["pathological", ["(a{1000}){1000}"]],
    ["invalid", ["(unclosed"]],
    ["oversized", ["x".repeat(5000)]],
    ["too many", Array.from({ length: 500 }, (_, i) => `w${i}`)],
  ]) {
    const answer = await configure(a, room, [field("throng#roomconfig_word_filter", ...patterns)]);
    assert.equal(errorCondition(answer), "not-acceptable", what);
    assert.match(errorText(answer), /throng#roomconfig_word_filter/, `${what}: the error names the field`);
  }
  // The old filter is still in force, and the room still works.
  await send(v, room, "spammmm", { id: "f-2" });
  assert.equal(errorCondition(await v.waitFor(errorFor("f-2"), "still filtered")), "policy-violation");
});

test("slow mode (XEP-0500): advertised, enforced with wait/policy-violation, moderators exempt, changeable live", async () => {
  const { room, a } = await openRoom("slow", [field("muc#roomconfig_slow_mode_duration", "3")]);
  const v = await viewer();
  await join(v, room, "fast-typer");
  const info = await iq(v, { type: "get", to: room }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }));
  const duration = info.getChild("query").getChild("x", "jabber:x:data").getChildren("field")
    .find((f) => f.attrs.var === "muc#roominfo_slow_mode_duration");
  assert.equal(duration?.getChildText("value"), "3");

  await groupchat(v, room, "one");
  await a.waitFor(bodyIs("one"), "the first message");
  await send(v, room, "two", { id: "s-2" });
  const refused = await v.waitFor(errorFor("s-2"), "too fast");
  assert.equal(refused.getChild("error").attrs.type, "wait");
  assert.equal(errorCondition(refused), "policy-violation");
  assert.match(errorText(refused), /slow mode/);
  // Moderators are exempt.
  await groupchat(a, room, "mod 1");
  await groupchat(a, room, "mod 2");
  await v.waitFor(bodyIs("mod 2"), "moderator messages");
  // Turned off while live: status 104, then messages flow at once.
  await configure(a, room, [field("muc#roomconfig_slow_mode_duration", "0")]);
  await v.waitFor((s) => s.is("message") && statusCodes(s).includes(104), "config change notice");
  await groupchat(v, room, "three");
  await a.waitFor(bodyIs("three"), "no longer slowed");
});

test("the audit log records who did what to whom, for the admin token and room admins only", async () => {
  const control = `http://127.0.0.1:${server.ready.control.port}`;
  const read = (room, headers) => fetch(`${control}/api/v1/rooms/${room}/moderation-log`, { headers });
  const token = { authorization: `Bearer ${server.adminToken}` };
  const entries = async (room) => {
    const response = await read(room, token);
    assert.equal(response.status, 200, room);
    return (await response.json()).entries;
  };
  const actions = (list) => list.map((e) => e.action);
  const retracted = await entries("mod-retract");
  const retract = retracted.find((e) => e.action === "retract" && e.reason === "spam");
  assert.ok(retract, "the retraction is logged");
  assert.equal(retract.actor, "alice@localhost");
  assert.equal(retract.actor_nick, "Alice");
  assert.equal(retracted.filter((e) => e.action === "retract").length, 2, "both retractions");
  assert.match(retract.target, /spammer/);
  assert.ok(actions(await entries("mute")).includes("mute") && actions(await entries("mute")).includes("unmute"));
  const bans = await entries("ip-ban");
  assert.ok(actions(bans).includes("ban") && actions(bans).includes("ip-ban"), JSON.stringify(bans));
  assert.ok(actions(await entries("slow")).includes("config"));
  // Room admins read it with their account; other accounts may not; strangers are asked to log in.
  const basic = (user, password) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });
  assert.equal((await read("mute", basic("alice", "wonderland-42"))).status, 200);
  assert.equal((await read("mute", basic("bob", "builder-1234"))).status, 403);
  assert.equal((await read("mute", {})).status, 401);
});
