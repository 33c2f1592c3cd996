// @xmpp/client connections for the MUC tests: each keeps an inbox of received stanzas and a
// bounded waitFor(match), so a test states what it expects to arrive.
import { client, xml } from "@xmpp/client";

export const MUC_NS = "http://jabber.org/protocol/muc";
export const mucUser = (stanza) => stanza.getChild("x", "http://jabber.org/protocol/muc#user");
export const statusCodes = (stanza) =>
  (mucUser(stanza)?.getChildren("status") ?? []).map((s) => Number(s.attrs.code));
export const isSubject = (s) => s.is("message") && s.getChild("subject") && !s.getChild("body");
export const bodyIs = (text) => (s) => s.is("message") && s.getChildText("body") === text;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Connections to `server` (throng_server.mjs); closeAll() ends them.
export function mucClients(server) {
  const clients = [];
  async function connect(options) {
    const xmpp = client({ resource: `r${clients.length}`, ...options });
    xmpp.on("error", () => {});
    clients.push(xmpp);
    const address = await xmpp.start();
    const inbox = [];
    const waiters = [];
    xmpp.on("stanza", (stanza) => {
      inbox.push(stanza);
      const w = waiters.find((w) => w.match(stanza));
      if (w) {
        // Taken by its waiter: a later waitFor must not find it again.
        inbox.pop();
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(stanza);
      }
    });
    // Resolves with the first stanza (already received or future) that matches; bounded.
    const waitFor = (match, what = "stanza", ms = 5000) => {
      const seen = inbox.find(match);
      if (seen) {
        inbox.splice(inbox.indexOf(seen), 1);
        return Promise.resolve(seen);
      }
      return new Promise((resolve, reject) => {
        const w = { match, resolve };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`timed out waiting for ${what}`));
        }, ms);
        waiters.push(w);
      });
    };
    return { xmpp, jid: address.toString(), inbox, waitFor };
  }
  return {
    connect,
    viewer: () => connect({ service: server.ws, domain: "anon.localhost" }),
    account: (username, password, transport = "tcp") =>
      connect({ service: transport === "tcp" ? server.tcp : server.ws, domain: "localhost", username, password }),
    async closeAll() {
      for (const c of clients.splice(0)) await c.stop().catch(() => {});
    },
  };
}

// Joins and returns every stanza of the join sequence, up to and including the subject.
export async function join(c, room, nick, history) {
  const start = c.inbox.length;
  const x = xml("x", { xmlns: MUC_NS });
  if (history) x.append(xml("history", history));
  await c.xmpp.send(xml("presence", { to: `${room}/${nick}` }, x));
  const subject = await c.waitFor((s) => isSubject(s) && s.attrs.from.startsWith(room), "the subject");
  return [...c.inbox.splice(start), subject];
}

export function groupchat(c, room, body, ...children) {
  return c.xmpp.send(xml("message", { to: room, type: "groupchat" }, xml("body", {}, body), ...children));
}

// Sends an IQ and waits for its answer (result or error).
export async function iq(c, attrs, child, ms = 5000) {
  const id = `iq-${Math.random().toString(36).slice(2)}`;
  await c.xmpp.send(xml("iq", { id, ...attrs }, child));
  return c.waitFor((s) => s.is("iq") && s.attrs.id === id, `the answer to ${id}`, ms);
}

export const errorCondition = (stanza) =>
  stanza.getChild("error")?.children.find((c) => c.attrs?.xmlns === "urn:ietf:params:xml:ns:xmpp-stanzas" && c.name !== "text")?.name;
export const errorText = (stanza) => stanza.getChild("error")?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas");
