// Multi-user chat (XEP-0045) with @xmpp/client against the real server: an event's room,
// anonymous viewers over WebSocket and an account over TCP; join order, history, messages,
// nick change, kick, ban, errors, the crowd features (visitor presence not broadcast, the
// occupant count push, vCards answered by the room), room creation and persistence.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import net from "node:net";
import { client, xml } from "@xmpp/client";
import { startThrong } from "./throng_server.mjs";
import { mucClients, mucUser, statusCodes, isSubject, join, groupchat as sendGroupchat } from "./muc_client.mjs";

const ROOM = "demo@rooms.localhost";
let server;
before(async () => {
  server = await startThrong({
    accounts: { alice: "wonderland-42", bob: "builder-1234" },
    xmpp: ['admins = "alice@localhost"'],
    events: ["demo"],
  });
});
after(async () => {
  await server?.stop();
  if (server) rmSync(server.dir, { recursive: true, force: true });
});

const { viewer, account, closeAll } = mucClients({ get ws() { return server.ws; }, get tcp() { return server.tcp; } });
after(closeAll);
const alice = () => account("alice", "wonderland-42", "tcp");
const bob = () => account("bob", "builder-1234", "ws");

const groupchat = (c, body, room = ROOM) => sendGroupchat(c, room, body);

test("an anonymous viewer joins the event's room: presences, self-presence 110, history, subject", async () => {
  const a = await alice();
  const aliceJoin = await join(a, ROOM, "Alice");
  const aliceSelf = aliceJoin.find((s) => s.is("presence") && statusCodes(s).includes(110));
  assert.ok(aliceSelf, "self-presence with status 110");
  assert.equal(mucUser(aliceSelf).getChild("item").attrs.role, "moderator");  // xmpp.admins

  const v = await viewer();
  const seq = await join(v, ROOM, "viewer-1");
  const kinds = seq.map((s) =>
    s.is("presence") ? (statusCodes(s).includes(110) ? "self" : "presence") : isSubject(s) ? "subject" : "message");
  // XEP-0045 §7.2.3: the others' presence, then self, then history, then the subject last.
  assert.deepEqual(kinds.slice(0, 2), ["presence", "self"]);
  assert.equal(kinds.at(-1), "subject");
  assert.equal(seq[0].attrs.from, `${ROOM}/Alice`);
  const self = seq[1];
  assert.equal(self.attrs.from, `${ROOM}/viewer-1`);
  assert.equal(mucUser(self).getChild("item").attrs.role, "visitor");
  assert.ok(self.getChild("occupant-id", "urn:xmpp:occupant-id:0")?.attrs.id, "occupant-id");
  // Visitors' presence is not broadcast in event rooms: Alice hears nothing of the join.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(a.inbox.filter((s) => s.is("presence") && s.attrs.from === `${ROOM}/viewer-1`).length, 0);
  // …but the occupant count reaches her within 2 s (docs/muc.md).
  const count = await a.waitFor(
    (s) => s.getChild("occupants", "urn:throng:muc:occupants:0")?.attrs.count === "2",
    "the occupant count", 4000);
  assert.equal(count.attrs.from, ROOM);
});

test("groupchat carries stanza-id and occupant-id; history honours maxstanzas with delay", async () => {
  const a = await alice();
  await join(a, ROOM, "Alice2");
  const v = await viewer();
  await join(v, ROOM, "viewer-2");
  await groupchat(v, "first");
  const seen = await a.waitFor((s) => s.is("message") && s.getChildText("body") === "first", "first");
  assert.equal(seen.attrs.from, `${ROOM}/viewer-2`);
  assert.equal(seen.attrs.type, "groupchat");
  const sid = seen.getChild("stanza-id", "urn:xmpp:sid:0");
  assert.ok(sid?.attrs.id);
  assert.equal(sid.attrs.by, ROOM);
  assert.ok(seen.getChild("occupant-id", "urn:xmpp:occupant-id:0")?.attrs.id);
  // The sender receives its own message back (XEP-0045 §7.4).
  await v.waitFor((s) => s.is("message") && s.getChildText("body") === "first", "reflection");
  await groupchat(a, "second");
  await groupchat(a, "third");
  await v.waitFor((s) => s.is("message") && s.getChildText("body") === "third", "third");

  const late = await viewer();
  const seq = await join(late, ROOM, "late", { maxstanzas: "2" });
  const history = seq.filter((s) => s.is("message") && s.getChild("body"));
  assert.deepEqual(history.map((s) => s.getChildText("body")), ["second", "third"]);
  for (const h of history) {
    assert.ok(h.getChild("delay", "urn:xmpp:delay")?.attrs.stamp, "delay stamp");
    assert.ok(h.getChild("stanza-id", "urn:xmpp:sid:0"));
  }
  const none = await viewer();
  const empty = await join(none, ROOM, "nohistory", { maxstanzas: "0" });
  assert.equal(empty.filter((s) => s.is("message") && s.getChild("body")).length, 0);
});

test("a taken nick gets conflict and the room carries on", async () => {
  const a = await alice();
  await join(a, ROOM, "Alice3");
  const v = await viewer();
  await v.xmpp.send(xml("presence", { to: `${ROOM}/Alice3` }, xml("x", { xmlns: "http://jabber.org/protocol/muc" })));
  const error = await v.waitFor((s) => s.is("presence") && s.attrs.type === "error", "conflict");
  assert.ok(error.getChild("error").getChild("conflict"));
  await groupchat(a, "still here");
  await a.waitFor((s) => s.getChildText("body") === "still here", "own message");
});

test("a message to a room the sender is not in gets not-acceptable", async () => {
  const v = await viewer();
  await groupchat(v, "let me in");
  const error = await v.waitFor((s) => s.is("message") && s.attrs.type === "error", "error");
  assert.ok(error.getChild("error").getChild("not-acceptable"));
  await v.xmpp.send(xml("message", { to: "nosuchroom@rooms.localhost", type: "groupchat" }, xml("body", {}, "x")));
  const missing = await v.waitFor((s) => s.is("message") && s.attrs.type === "error", "error");
  assert.ok(missing.getChild("error").getChild("item-not-found"));
});

test("nick change: unavailable with 303 and the new nick, then the new presence", async () => {
  const a = await alice();
  await join(a, ROOM, "Alice4");
  const b = await bob();
  await join(b, ROOM, "Bob");  // an account: participant, broadcast
  await a.waitFor((s) => s.is("presence") && s.attrs.from === `${ROOM}/Bob`, "Bob's presence");
  await b.xmpp.send(xml("presence", { to: `${ROOM}/Robert` }));
  const gone = await a.waitFor(
    (s) => s.is("presence") && s.attrs.from === `${ROOM}/Bob` && s.attrs.type === "unavailable", "303");
  assert.ok(statusCodes(gone).includes(303));
  assert.equal(mucUser(gone).getChild("item").attrs.nick, "Robert");
  await a.waitFor((s) => s.is("presence") && s.attrs.from === `${ROOM}/Robert` && !s.attrs.type, "new nick");
  const self = await b.waitFor((s) => s.is("presence") && s.attrs.from === `${ROOM}/Robert`, "self");
  assert.ok(statusCodes(self).includes(110));
  await b.xmpp.send(xml("presence", { to: `${ROOM}/Robert`, type: "unavailable" }));
  await a.waitFor((s) => s.is("presence") && s.attrs.from === `${ROOM}/Robert` && s.attrs.type === "unavailable", "leave");
});

test("a moderator kicks and bans; the victims learn why, the room stays up", async () => {
  const a = await alice();
  await join(a, ROOM, "Mod");
  const v = await viewer();
  await join(v, ROOM, "troll");
  const kick = await a.xmpp.iqCaller.request(xml("iq", { type: "set", to: ROOM },
    xml("query", { xmlns: "http://jabber.org/protocol/muc#admin" },
      xml("item", { nick: "troll", role: "none" }, xml("reason", {}, "spam")))));
  assert.equal(kick.attrs.type, "result");
  const out = await v.waitFor((s) => s.is("presence") && s.attrs.type === "unavailable", "kick");
  assert.deepEqual(statusCodes(out).sort(), [110, 307]);
  assert.equal(mucUser(out).getChild("item").getChildText("reason"), "spam");
  await groupchat(v, "am I out?");
  const refused = await v.waitFor((s) => s.is("message") && s.attrs.type === "error", "refused");
  assert.ok(refused.getChild("error").getChild("not-acceptable"));

  const v2 = await viewer();
  await join(v2, ROOM, "troll2");
  const bare = v2.jid.split("/")[0];
  await a.xmpp.iqCaller.request(xml("iq", { type: "set", to: ROOM },
    xml("query", { xmlns: "http://jabber.org/protocol/muc#admin" },
      xml("item", { jid: bare, affiliation: "outcast" }))));
  const banned = await v2.waitFor((s) => s.is("presence") && s.attrs.type === "unavailable", "ban");
  assert.ok(statusCodes(banned).includes(301));
  await v2.xmpp.send(xml("presence", { to: `${ROOM}/again` }, xml("x", { xmlns: "http://jabber.org/protocol/muc" })));
  const forbidden = await v2.waitFor((s) => s.is("presence") && s.attrs.type === "error", "forbidden");
  assert.ok(forbidden.getChild("error").getChild("forbidden"));
  // A visitor may not kick.
  const v3 = await viewer();
  await join(v3, ROOM, "v3");
  await assert.rejects(v3.xmpp.iqCaller.request(xml("iq", { type: "set", to: ROOM },
    xml("query", { xmlns: "http://jabber.org/protocol/muc#admin" }, xml("item", { nick: "Mod", role: "none" })))),
    /forbidden/);
});

test("the room answers for its occupants: vCard item-not-found, self-ping, disco#info count", async () => {
  const a = await alice();
  await join(a, ROOM, "Alice5");
  const v = await viewer();
  await join(v, ROOM, "pinger");
  await assert.rejects(v.xmpp.iqCaller.request(xml("iq", { type: "get", to: `${ROOM}/Alice5` },
    xml("vCard", { xmlns: "vcard-temp" }))), /item-not-found/);
  const pong = await v.xmpp.iqCaller.request(xml("iq", { type: "get", to: `${ROOM}/pinger` },
    xml("ping", { xmlns: "urn:xmpp:ping" })));
  assert.equal(pong.attrs.type, "result");
  const info = await v.xmpp.iqCaller.request(xml("iq", { type: "get", to: ROOM },
    xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
  const query = info.getChild("query");
  const features = query.getChildren("feature").map((f) => f.attrs.var);
  for (const f of ["http://jabber.org/protocol/muc", "urn:xmpp:sid:0", "urn:xmpp:occupant-id:0", "muc_persistent"]) {
    assert.ok(features.includes(f), f);
  }
  const occupants = query.getChild("x", "jabber:x:data").getChildren("field")
    .find((f) => f.attrs.var === "muc#roominfo_occupants");
  assert.ok(Number(occupants.getChildText("value")) >= 2);
  // The service lists the event's room.
  const items = await v.xmpp.iqCaller.request(xml("iq", { type: "get", to: "rooms.localhost" },
    xml("query", { xmlns: "http://jabber.org/protocol/disco#items" })));
  assert.ok(items.getChild("query").getChildren("item").some((i) => i.attrs.jid === ROOM));
});

test("private messages go through the room with the sender's occupant JID", async () => {
  const v1 = await viewer();
  await join(v1, ROOM, "pm-a");
  const v2 = await viewer();
  await join(v2, ROOM, "pm-b");
  await v1.xmpp.send(xml("message", { to: `${ROOM}/pm-b`, type: "chat" }, xml("body", {}, "psst")));
  const pm = await v2.waitFor((s) => s.is("message") && s.getChildText("body") === "psst", "pm");
  assert.equal(pm.attrs.from, `${ROOM}/pm-a`);
  assert.ok(mucUser(pm));
});

test("an account creates a room, configures it, and it survives a restart", async () => {
  const b = await bob();
  const room = "bobs-room@rooms.localhost";
  const seq = await join(b, room, "Bob");
  const self = seq.find((s) => s.is("presence") && statusCodes(s).includes(110));
  assert.ok(statusCodes(self).includes(201), "created");
  // Locked until configured (XEP-0045 §10.1.2).
  const v = await viewer();
  await v.xmpp.send(xml("presence", { to: `${room}/early` }, xml("x", { xmlns: "http://jabber.org/protocol/muc" })));
  const locked = await v.waitFor((s) => s.is("presence") && s.attrs.type === "error", "locked");
  assert.ok(locked.getChild("error").getChild("item-not-found"));
  const form = await b.xmpp.iqCaller.request(xml("iq", { type: "get", to: room },
    xml("query", { xmlns: "http://jabber.org/protocol/muc#owner" })));
  const vars = form.getChild("query").getChild("x", "jabber:x:data").getChildren("field").map((f) => f.attrs.var);
  assert.ok(vars.includes("muc#roomconfig_presencebroadcast"));
  const field = (v, ...values) => xml("field", { var: v }, ...values.map((x) => xml("value", {}, x)));
  await b.xmpp.iqCaller.request(xml("iq", { type: "set", to: room },
    xml("query", { xmlns: "http://jabber.org/protocol/muc#owner" },
      xml("x", { xmlns: "jabber:x:data", type: "submit" },
        field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig"),
        field("muc#roomconfig_roomname", "Bob's room"),
        field("muc#roomconfig_persistentroom", "1"),
        field("muc#roomconfig_presencebroadcast", "moderator")))));
  await assert.rejects(b.xmpp.iqCaller.request(xml("iq", { type: "set", to: room },
    xml("query", { xmlns: "http://jabber.org/protocol/muc#owner" },
      xml("x", { xmlns: "jabber:x:data", type: "submit" }, field("muc#roomconfig_maxusers", "many"))))),
    /not-acceptable/);
  await b.xmpp.send(xml("message", { to: room, type: "groupchat" }, xml("subject", {}, "Building things")));
  await b.waitFor((s) => isSubject(s) && s.getChildText("subject") === "Building things", "subject");
  // Anonymous users may not create rooms.
  await v.xmpp.send(xml("presence", { to: "viewers-room@rooms.localhost/v" }, xml("x", { xmlns: "http://jabber.org/protocol/muc" })));
  const refused = await v.waitFor((s) => s.is("presence") && s.attrs.type === "error", "not-allowed");
  assert.ok(refused.getChild("error").getChild("not-allowed"));

  // Restart on the same data directory: the room, its name and its subject are back.
  await closeAll();
  await server.stopKeeping();
  server = await startThrong({ dir: server.dir, xmpp: ['admins = "alice@localhost"'] });
  const v2 = await viewer();
  const info = await v2.xmpp.iqCaller.request(xml("iq", { type: "get", to: room },
    xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
  assert.equal(info.getChild("query").getChild("identity").attrs.name, "Bob's room");
  const again = await join(v2, room, "visitor");
  assert.equal(again.at(-1).getChildText("subject"), "Building things");
  // Bob (owner, kept in SQLite) still owns it.
  const b2 = await bob();
  await join(b2, room, "Bob");
  const owner = await b2.xmpp.iqCaller.request(xml("iq", { type: "get", to: room },
    xml("query", { xmlns: "http://jabber.org/protocol/muc#owner" })));
  assert.equal(owner.attrs.type, "result");
});

// Sends raw bytes on a fresh TCP connection and returns what the server wrote until it closed.
function rawExchange(payload) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(server.ready.xmpp.tcp.port, "127.0.0.1");
    let data = "";
    socket.on("data", (d) => (data += d));
    socket.on("close", () => resolve(data));
    socket.on("error", reject);
    socket.write(payload);
    setTimeout(() => socket.destroy(), 5000);
  });
}
const HEADER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams' to='anon.localhost' version='1.0'>";

test("bad input gets its stream error and the room's occupants are not disturbed", async () => {
  const a = await alice();
  await join(a, ROOM, "Keeper");
  const v = await viewer();
  await join(v, ROOM, "calm");

  assert.match(await rawExchange(HEADER + "<message><body>x</message>"), /<not-well-formed /);
  assert.match(await rawExchange(HEADER.replace("jabber:client", "jabber:server")), /<invalid-namespace /);
  assert.match(await rawExchange(HEADER + `<message><body>${"x".repeat(70 * 1024)}</body></message>`),
    /<policy-violation /);
  assert.match(await rawExchange(HEADER + "<presence xmlns:x='urn:x' x:a='1' x:a='2'/>"), /<not-well-formed /);

  // A bound client that forges 'from' loses its stream (RFC 6120 §8.1.2.1: invalid-from).
  const forger = await viewer();
  await join(forger, ROOM, "forger");
  const closed = new Promise((resolve) => forger.xmpp.on("error", (e) => resolve(e)));
  forger.xmpp.send(xml("message", { to: ROOM, type: "groupchat", from: "alice@localhost/r0" },
    xml("body", {}, "I am alice")));
  const error = await Promise.race([closed, new Promise((r) => setTimeout(() => r(null), 5000))]);
  assert.equal(error?.condition, "invalid-from");
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!a.inbox.some((s) => s.getChildText("body") === "I am alice"), "the forgery was not relayed");

  await groupchat(v, "all quiet");
  await a.waitFor((s) => s.getChildText("body") === "all quiet", "the room still works");
});
