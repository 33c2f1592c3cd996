// The room archive (XEP-0313 MAM with XEP-0059 paging) with @xmpp/client against the real
// server: paging in both directions, filters, pages served from SQLite beyond the in-memory
// part, bad queries refused without disturbing the room, and durability: the server is
// SIGKILLed while clients chat, and every message any client received is in the archive
// after the restart, with the room's configuration, affiliations and bans.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { xml } from "@xmpp/client";
import { startThrong } from "./throng_server.mjs";
import { mucClients, join, groupchat, iq, bodyIs, errorCondition, errorText, sleep } from "./muc_client.mjs";

const MAM = "urn:xmpp:mam:2";
const RSM = "http://jabber.org/protocol/rsm";
const XMPP = ['admins = "alice@localhost"', "rate_stanzas_per_second = 2000", "rate_stanzas_burst = 4000",
  "rate_bytes_per_second = 16777216", "rate_bytes_burst = 16777216"];
let server;
const live = { get ws() { return server.ws; }, get tcp() { return server.tcp; } };
const { viewer, account, closeAll } = mucClients(live);
const alice = () => account("alice", "wonderland-42", "tcp");

before(async () => {
  server = await startThrong({ accounts: { alice: "wonderland-42", bob: "builder-1234" }, xmpp: XMPP,
    events: ["talk"] });
});
after(async () => {
  await closeAll();
  await server?.stop();
  if (server) rmSync(server.dir, { recursive: true, force: true });
});

const field = (v, ...values) => xml("field", { var: v }, ...values.map((x) => xml("value", {}, x)));
function mamQuery({ fields = [], rsm = [], queryid = "q1" } = {}) {
  const children = [];
  if (fields.length) {
    children.push(xml("x", { xmlns: "jabber:x:data", type: "submit" }, field("FORM_TYPE", MAM), ...fields));
  }
  if (rsm.length) children.push(xml("set", { xmlns: RSM }, ...rsm));
  return xml("query", { xmlns: MAM, queryid }, ...children);
}

// Runs a query; resolves with {bodies, ids, fin, results} or the error IQ.
async function runQuery(c, room, query) {
  const before = c.inbox.length;
  const answer = await iq(c, { type: "set", to: room }, query);
  if (answer.attrs.type === "error") return { error: answer };
  const results = c.inbox.splice(before).filter((s) => s.getChild("result", MAM));
  const inner = (r) => r.getChild("result", MAM).getChild("forwarded", "urn:xmpp:forward:0").getChild("message");
  return {
    results,
    ids: results.map((r) => r.getChild("result", MAM).attrs.id),
    bodies: results.map((r) => inner(r).getChildText("body")),
    inner: results.map(inner),
    fin: answer.getChild("fin", MAM),
  };
}

test("MAM pages a room's archive both ways, filters it, and keeps joins and leaves out", async () => {
  const room = "talk@rooms.localhost";
  const a = await alice();
  await join(a, room, "Alice");
  const v = await viewer();
  await join(v, room, "viewer");
  const info = await iq(v, { type: "get", to: room }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }));
  const features = info.getChild("query").getChildren("feature").map((f) => f.attrs.var);
  assert.ok(features.includes(MAM), "the room advertises MAM, so ConverseJS pages history through it");

  const t0 = new Date();
  await sleep(20);
  for (let i = 1; i <= 7; i++) {
    await groupchat(i % 2 ? v : a, room, `m${i}`);
    await v.waitFor(bodyIs(`m${i}`), `m${i}`);
  }
  const last = await runQuery(v, room, mamQuery({ rsm: [xml("max", {}, "3"), xml("before")] }));
  assert.deepEqual(last.bodies, ["m5", "m6", "m7"]);
  assert.equal(last.fin.attrs.complete, undefined, "more pages before this one");
  const rsmFirst = last.fin.getChild("set", RSM).getChildText("first");
  assert.equal(rsmFirst, last.ids[0]);
  // The delay stamp and the original sender survive in the forwarded copy (XEP-0297).
  assert.equal(last.inner[0].attrs.from, `${room}/viewer`);
  assert.ok(last.results[0].getChild("result", MAM).getChild("forwarded", "urn:xmpp:forward:0").getChild("delay", "urn:xmpp:delay"));

  const previous = await runQuery(v, room, mamQuery({ rsm: [xml("max", {}, "3"), xml("before", {}, rsmFirst)] }));
  assert.deepEqual(previous.bodies, ["m2", "m3", "m4"]);
  const first = await runQuery(v, room, mamQuery({ rsm: [xml("max", {}, "3"), xml("before", {}, previous.ids[0])] }));
  assert.deepEqual(first.bodies, ["m1"]);
  assert.equal(first.fin.attrs.complete, "true");

  const forward = await runQuery(v, room, mamQuery({ rsm: [xml("max", {}, "4"), xml("after", {}, first.ids[0])] }));
  assert.deepEqual(forward.bodies, ["m2", "m3", "m4", "m5"]);
  const byAlice = await runQuery(v, room, mamQuery({ fields: [field("with", `${room}/Alice`)] }));
  assert.deepEqual(byAlice.bodies, ["m2", "m4", "m6"]);
  const since = await runQuery(v, room, mamQuery({ fields: [field("start", t0.toISOString())] }));
  assert.deepEqual(since.bodies, ["m1", "m2", "m3", "m4", "m5", "m6", "m7"], "joins and leaves are not archived");
  const none = await runQuery(v, room, mamQuery({ fields: [field("end", t0.toISOString())] }));
  assert.deepEqual(none.bodies, []);
  assert.equal(none.fin.attrs.complete, "true");
});

test("bad MAM queries get bad-request or item-not-found and the room carries on", async () => {
  const room = "talk@rooms.localhost";
  const v = await viewer();
  await join(v, room, "prober");
  const cases = [
    ["wrong FORM_TYPE", xml("query", { xmlns: MAM }, xml("x", { xmlns: "jabber:x:data", type: "submit" }, field("FORM_TYPE", "urn:example")))],
    ["unknown field", mamQuery({ fields: [field("fulltext", "x")] })],
    ["bad date", mamQuery({ fields: [field("start", "yesterday")] })],
    ["'with' not an occupant", mamQuery({ fields: [field("with", "someone@example.org")] })],
    ["negative max", mamQuery({ rsm: [xml("max", {}, "-1")] })],
    ["text max", mamQuery({ rsm: [xml("max", {}, "lots")] })],
    ["absurd max", mamQuery({ rsm: [xml("max", {}, "99999999999")] })],
    ["index", mamQuery({ rsm: [xml("index", {}, "10")] })],
    ["start after end", mamQuery({ fields: [field("start", "2030-01-01T00:00:00Z"), field("end", "2020-01-01T00:00:00Z")] })],
  ];
  for (const [what, query] of cases) {
    const { error } = await runQuery(v, room, query);
    assert.ok(error, `${what}: an error`);
    assert.equal(errorCondition(error), "bad-request", what);
    assert.ok(errorText(error), `${what}: the error says why`);
  }
  const unknown = await runQuery(v, room, mamQuery({ rsm: [xml("after", {}, "no-such-id")] }));
  assert.equal(errorCondition(unknown.error), "item-not-found");
  // The query form (XEP-0313 §5.1.1).
  const form = await iq(v, { type: "get", to: room }, xml("query", { xmlns: MAM }));
  const vars = form.getChild("query", MAM).getChild("x", "jabber:x:data").getChildren("field").map((f) => f.attrs.var);
  assert.ok(vars.includes("with") && vars.includes("start") && vars.includes("end"));
  await groupchat(v, room, "still here");
  await v.waitFor(bodyIs("still here"), "the room still works");
});

test("pages older than the in-memory part come from SQLite, also after a restart", async () => {
  const room = "talk@rooms.localhost";
  const v = await viewer();
  await join(v, room, "bulk");
  const total = 620;  // more than the 500 kept in memory
  for (let i = 0; i < total; i++) await groupchat(v, room, `bulk-${i}`);
  await v.waitFor(bodyIs(`bulk-${total - 1}`), "the last bulk message", 20000);
  // Page backwards through everything from the end, 250 at a time.
  const collect = async (c) => {
    const bodies = [];
    let before = "";
    for (let page = 0; page < 10; page++) {
      const rsm = [xml("max", {}, "250"), before ? xml("before", {}, before) : xml("before")];
      const r = await runQuery(c, room, mamQuery({ rsm }));
      bodies.unshift(...r.bodies);
      if (r.fin.attrs.complete === "true") return bodies;
      before = r.ids[0];
    }
    throw new Error("did not reach the start of the archive in 10 pages");
  };
  const all = (await collect(v)).filter((b) => b?.startsWith("bulk-"));
  assert.equal(all.length, total);
  assert.equal(all[0], "bulk-0");
  assert.equal(all.at(-1), `bulk-${total - 1}`);
  await closeAll();
  await server.stopKeeping();
  server = await startThrong({ dir: server.dir, xmpp: XMPP });
  const v2 = await viewer();
  const again = (await collect(v2)).filter((b) => b?.startsWith("bulk-"));
  assert.deepEqual(again, all);
});

test("durability: SIGKILL while clients chat loses no message anyone received", async () => {
  const room = "talk@rooms.localhost";
  const a = await alice();
  await join(a, room, "Alice");
  // Room state that must survive the crash too: a name, a member and a ban.
  const form = xml("x", { xmlns: "jabber:x:data", type: "submit" },
    field("FORM_TYPE", "http://jabber.org/protocol/muc#roomconfig"), field("muc#roomconfig_roomname", "Crash test"),
    field("muc#roomconfig_slow_mode_duration", "0"));
  assert.equal((await iq(a, { type: "set", to: room }, xml("query", { xmlns: "http://jabber.org/protocol/muc#owner" }, form))).attrs.type, "result");
  const admin = (items) => xml("query", { xmlns: "http://jabber.org/protocol/muc#admin" }, ...items);
  assert.equal((await iq(a, { type: "set", to: room }, admin([xml("item", { jid: "bob@localhost", affiliation: "member" })]))).attrs.type, "result");
  assert.equal((await iq(a, { type: "set", to: room }, admin([xml("item", { jid: "troll@localhost", affiliation: "outcast" })]))).attrs.type, "result");

  const talkers = [await viewer(), await viewer(), await viewer()];
  for (const [i, t] of talkers.entries()) await join(t, room, `talker-${i}`);
  const listener = await viewer();
  await join(listener, room, "listener");
  const received = new Set();
  const everyone = [a, listener, ...talkers];
  for (const c of everyone) {
    c.xmpp.on("stanza", (s) => {
      const id = s.is("message") && s.getChild("body") && s.getChild("stanza-id", "urn:xmpp:sid:0")?.attrs.id;
      if (id && s.getChildText("body").startsWith("load-")) received.add(id);
    });
  }
  // Each talker sends as fast as the connection takes; the kill lands mid-stream.
  let sent = 0;
  const sending = talkers.map(async (t, i) => {
    for (let n = 0; n < 400; n++) {
      try { await groupchat(t, room, `load-${i}-${n}`); sent++; } catch { return; }
      if (n % 20 === 0) await sleep(1);
    }
  });
  while (received.size < 300) await sleep(5);
  await server.kill();
  await Promise.race([Promise.allSettled(sending), sleep(3000)]);
  await closeAll();
  assert.ok(received.size >= 300, `clients received ${received.size} messages before the kill (${sent} sent)`);

  server = await startThrong({ dir: server.dir, xmpp: XMPP });
  const b = await alice();
  const archived = new Set();
  let after = "";
  for (let page = 0; page < 20; page++) {
    const rsm = [xml("max", {}, "250")];
    if (after) rsm.push(xml("after", {}, after));
    const r = await runQuery(b, room, mamQuery({ rsm, fields: [field("start", new Date(Date.now() - 600000).toISOString())] }));
    r.ids.forEach((id) => archived.add(id));
    if (r.fin.attrs.complete === "true") break;
    after = r.ids.at(-1);
  }
  const missing = [...received].filter((id) => !archived.has(id));
  assert.deepEqual(missing, [], `${missing.length} of ${received.size} received messages are not in the archive`);

  const info = await iq(b, { type: "get", to: room }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }));
  assert.equal(info.getChild("query").getChild("identity").attrs.name, "Crash test");
  const list = async (affiliation) => (await iq(b, { type: "get", to: room }, admin([xml("item", { affiliation })])))
    .getChild("query").getChildren("item").map((i) => i.attrs.jid);
  assert.deepEqual(await list("member"), ["bob@localhost"]);
  assert.deepEqual(await list("outcast"), ["troll@localhost"]);
});
