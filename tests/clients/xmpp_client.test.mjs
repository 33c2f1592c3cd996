// @xmpp/client (npm), a client nobody here wrote, against the real server over WebSocket
// (RFC 7395) and TCP (RFC 6120): anonymous and password login, ping, 1:1 messages, errors.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { client, xml } from "@xmpp/client";
import { startThrong } from "./throng_server.mjs";

let server;
before(async () => {
  server = await startThrong({ accounts: { alice: "wonderland-42" } });
});
after(async () => {
  await server?.stop();
});

const clients = [];
async function connect(options) {
  const xmpp = client({ resource: "test", ...options });
  xmpp.on("error", () => {});
  clients.push(xmpp);
  const address = await xmpp.start();
  return { xmpp, jid: address.toString() };
}
after(async () => {
  for (const c of clients) await c.stop().catch(() => {});
});

function nextMessage(xmpp) {
  return new Promise((resolve) => {
    const onStanza = (stanza) => {
      if (stanza.is("message")) {
        xmpp.removeListener("stanza", onStanza);
        resolve(stanza);
      }
    };
    xmpp.on("stanza", onStanza);
  });
}

test("anonymous viewer logs in over WebSocket", async () => {
  const { jid } = await connect({ service: server.ws, domain: "anon.localhost" });
  assert.match(jid, /^[0-9a-f]{32}@anon\.localhost\/test$/);
});

test("account logs in with a password over TCP", async () => {
  const { jid } = await connect({
    service: server.tcp, domain: "localhost", username: "alice", password: "wonderland-42",
  });
  assert.equal(jid, "alice@localhost/test");
});

test("a wrong password is refused", async () => {
  const xmpp = client({
    service: server.ws, domain: "localhost", username: "alice", password: "nope",
  });
  xmpp.on("error", () => {});
  await assert.rejects(xmpp.start(), /not-authorized/);
  await xmpp.stop().catch(() => {});
});

test("the server answers XEP-0199 ping", async () => {
  const { xmpp } = await connect({ service: server.ws, domain: "anon.localhost" });
  const reply = await xmpp.iqCaller.request(xml("iq", { type: "get", to: "anon.localhost" },
    xml("ping", { xmlns: "urn:xmpp:ping" })));
  assert.equal(reply.attrs.type, "result");
});

test("a message crosses from a TCP client to a WebSocket client", async () => {
  const viewer = await connect({ service: server.ws, domain: "anon.localhost" });
  const alice = await connect({
    service: server.tcp, domain: "localhost", username: "alice", password: "wonderland-42",
  });
  const received = nextMessage(viewer.xmpp);
  await alice.xmpp.send(xml("message", { to: viewer.jid, type: "chat" }, xml("body", {}, "hello")));
  const message = await received;
  assert.equal(message.getChildText("body"), "hello");
  assert.equal(message.attrs.from, alice.jid);
});

test("a message to nobody bounces with service-unavailable", async () => {
  const { xmpp } = await connect({ service: server.ws, domain: "anon.localhost" });
  const bounced = nextMessage(xmpp);
  await xmpp.send(xml("message", { to: "nobody@localhost", type: "chat", id: "m1" },
    xml("body", {}, "anyone?")));
  const error = await bounced;
  assert.equal(error.attrs.type, "error");
  assert.ok(error.getChild("error").getChild("service-unavailable"));
});

test("malformed XML over TCP gets a stream error, and other clients are unaffected", async () => {
  const { xmpp } = await connect({ service: server.ws, domain: "anon.localhost" });
  const reply = await new Promise((resolve, reject) => {
    const socket = net.connect(server.ready.xmpp.tcp.port, "127.0.0.1");
    let data = "";
    socket.on("data", (d) => (data += d));
    socket.on("close", () => resolve(data));
    socket.on("error", reject);
    socket.write("<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
      "xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>" +
      "<iq type='get'><oops></iq>");
    setTimeout(() => socket.destroy(), 5000);
  });
  assert.match(reply, /<not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'\/>/);
  assert.match(reply, /<\/stream:stream>$/);
  const pong = await xmpp.iqCaller.request(xml("iq", { type: "get", to: "anon.localhost" },
    xml("ping", { xmlns: "urn:xmpp:ping" })));
  assert.equal(pong.attrs.type, "result");
});

test("/metrics counts XMPP connections per transport and stanzas", async () => {
  const { xmpp } = await connect({ service: server.ws, domain: "anon.localhost" });
  await xmpp.iqCaller.request(xml("iq", { type: "get", to: "anon.localhost" },
    xml("ping", { xmlns: "urn:xmpp:ping" })));
  const metrics = await (await fetch(server.metrics)).text();
  const value = (series) => {
    const line = metrics.split("\n").find((l) => l.startsWith(`${series} `));
    return line === undefined ? NaN : Number(line.slice(series.length + 1));
  };
  assert.ok(value('throng_xmpp_connections{transport="websocket"}') >= 1, metrics);
  assert.ok(value('throng_xmpp_connections_accepted_total{transport="websocket"}') >= 1);
  assert.ok(value('throng_xmpp_connections_accepted_total{transport="tcp"}') >= 1);
  assert.ok(value("throng_xmpp_stanzas_in_total") >= 1);
  assert.ok(value("throng_xmpp_stanzas_out_total") >= 1);
});
