// The event's chat room over XMPP (RFC 7395 WebSocket, XEP-0045 MUC) with @xmpp/client, for
// the watch page and the moderation panel.
//
// The watch page logs in with SASL ANONYMOUS and reads before it speaks: it joins under a
// generated name at once, and a name the viewer chooses later is a nickname change
// (XEP-0045 §7.6) — not announced, as the room does not broadcast visitors' presence. The
// moderation panel logs in with an account (username and password: SCRAM-SHA-1 where the
// bundle has it, see frontend/build.mjs) and also follows the occupants whose presence the
// room broadcasts, and sends IQs (moderation, roles, the owner form).
import { client, xml } from "@xmpp/client";

const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";
const OCCUPANTS = "urn:throng:muc:occupants:0";
const STREAM = "urn:throng:stream:0";  // the event stream's state, pushed with the count
const STANZA_ID = "urn:xmpp:sid:0";
const OCCUPANT_ID = "urn:xmpp:occupant-id:0";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

// The text of a stanza error (RFC 6120 §8.3.2): the server's <text/> when it sent one, else
// the condition's name ("forbidden").
export function errorText(error) {
  const text = error?.getChildText("text", STANZAS);
  const condition = error?.children?.find((c) => c.name !== "text" && c.attrs?.xmlns === STANZAS)
    ?.name ?? error?.children?.find((c) => c.name !== "text")?.name ?? "error";
  return text || condition;
}

// Events (each optional): onMessage({id, nick, text, delayed, occupantId}), onRetract(id),
// onNotice(text), onOccupants(count), onSubject(text), onJoined(nick, {role, affiliation}),
// onStatus(text), onOccupant({nick, role, affiliation, jid, gone, newNick, codes}) for the
// others' presences, onConfigChanged() (status 104), onLeft(text) when the room removed us.
// `username`/`password` log in to `domain` with an account; without them, SASL ANONYMOUS.
// Rejects when the connection or the login fails (the client is stopped then).
export async function joinRoom({ websocket, domain, room, nick, username, password, history = 50 },
                               handlers) {
  const on = new Proxy(handlers, { get: (h, name) => h[name] ?? (() => {}) });
  const xmpp = client({ service: websocket, domain, username, password });
  let currentNick = nick;
  let pendingNick = null;
  let joined = false;
  let online = false;
  xmpp.on("error", (error) => {
    if (online) on.onStatus(`Chat error: ${error.message}`);
  });
  xmpp.on("offline", () => on.onStatus("Chat disconnected."));
  xmpp.on("stanza", (stanza) => {
    if (stanza.is("presence")) return onPresence(stanza);
    if (stanza.is("message")) return onMessage(stanza);
  });

  function resourceOf(jid) {
    const slash = jid.indexOf("/");
    return slash < 0 ? "" : jid.slice(slash + 1);
  }

  function onPresence(stanza) {
    if (!stanza.attrs.from?.startsWith(`${room}/`)) return;
    const nickOf = resourceOf(stanza.attrs.from);
    if (stanza.attrs.type === "error") {
      const condition = stanza.getChild("error")?.children?.[0]?.name ?? "error";
      if (pendingNick && nickOf === pendingNick) {
        on.onNotice(condition === "conflict" ? `The name “${pendingNick}” is taken.`
                                             : `Could not change name (${condition}).`);
        pendingNick = null;
      } else if (!joined && condition === "conflict") {
        currentNick = `${nick}-${Math.floor(Math.random() * 1000)}`;
        sendJoin();
      } else if (!joined) {
        on.onStatus(`Could not join the chat (${errorText(stanza.getChild("error"))}).`);
      }
      return;
    }
    const x = stanza.getChild("x", MUC_USER);
    const item = x?.getChild("item");
    const codes = (x?.getChildren("status") ?? []).map((s) => s.attrs.code);
    if (codes.includes("110")) {
      if (stanza.attrs.type === "unavailable") {
        if (codes.includes("303")) return;  // our own nick change: the new presence follows
        joined = false;
        const reason = codes.includes("301") ? "You were banned from the chat."
                     : codes.includes("307") ? "You were removed from the chat." : "You left the chat.";
        on.onNotice(reason);
        on.onStatus(reason);
        on.onLeft(reason);
        return;
      }
      currentNick = nickOf;
      pendingNick = null;
      joined = true;
      on.onJoined(currentNick, { role: item?.attrs.role, affiliation: item?.attrs.affiliation });
      return;
    }
    on.onOccupant({
      nick: nickOf,
      role: item?.attrs.role,
      affiliation: item?.attrs.affiliation,
      jid: item?.attrs.jid,
      gone: stanza.attrs.type === "unavailable",
      newNick: codes.includes("303") ? item?.attrs.nick : undefined,
      codes,
    });
  }

  function onMessage(stanza) {
    const from = stanza.attrs.from ?? "";
    if (!from.startsWith(room)) return;
    if (stanza.attrs.type === "error") {
      on.onNotice(`Not sent: ${errorText(stanza.getChild("error"))}`);
      return;
    }
    const occupants = stanza.getChild("occupants", OCCUPANTS);
    if (occupants) on.onOccupants?.(Number(occupants.attrs.count));
    const stream = stanza.getChild("stream", STREAM);
    if (stream) {
      on.onStream?.({ live: stream.attrs.state === "live", viewers: Number(stream.attrs.viewers) });
    }
    const subject = stanza.getChild("subject");
    if (subject && !stanza.getChild("body")) on.onSubject(subject.text());
    const codes = (stanza.getChild("x", MUC_USER)?.getChildren("status") ?? []).map(
      (s) => s.attrs.code);
    if (codes.includes("104")) on.onConfigChanged();  // XEP-0045 §10.2.1
    // XEP-0425 moderation, both the current (urn:xmpp:message-retract:1) and the older
    // (urn:xmpp:fasten:0 apply-to) form.
    const retract = stanza.getChild("retract", "urn:xmpp:message-retract:1");
    const applyTo = stanza.getChild("apply-to", "urn:xmpp:fasten:0");
    if (retract?.attrs.id || applyTo?.attrs.id) {
      on.onRetract(retract?.attrs.id ?? applyTo.attrs.id);
      return;
    }
    const body = stanza.getChildText("body");
    if (stanza.attrs.type !== "groupchat" || body === null) return;
    const stanzaId = stanza.getChildren("stanza-id", STANZA_ID).find((s) => s.attrs.by === room);
    on.onMessage({
      id: stanzaId?.attrs.id ?? null,
      nick: resourceOf(from),
      text: body,
      delayed: Boolean(stanza.getChild("delay", "urn:xmpp:delay")),
      occupantId: stanza.getChild("occupant-id", OCCUPANT_ID)?.attrs.id ?? null,
    });
  }

  function sendJoin() {
    return xmpp.send(xml("presence", { to: `${room}/${currentNick}` },
                         xml("x", { xmlns: MUC }, xml("history", { maxstanzas: String(history) }))));
  }

  xmpp.on("online", () => {
    online = true;
    joined = false;
    sendJoin();
  });
  on.onStatus("Connecting to the chat…");
  try {
    await xmpp.start();
  } catch (error) {
    // A refused login must not be retried by the client's reconnect logic.
    xmpp.reconnect?.stop();
    await xmpp.stop().catch(() => {});
    throw error;
  }

  return {
    get nick() { return currentNick; },
    get joined() { return joined; },
    get jid() { return xmpp.jid?.toString() ?? null; },
    async send(text) {
      await xmpp.send(xml("message", { to: room, type: "groupchat" }, xml("body", {}, text)));
    },
    async changeNick(newNick) {
      if (newNick === currentNick) return;
      pendingNick = newNick;
      await xmpp.send(xml("presence", { to: `${room}/${newNick}` }));
    },
    // Sends an IQ to the room and resolves with the result; rejects with an Error whose
    // message is the server's text (or the condition) when the room answers with an error.
    async request(type, child) {
      try {
        return await xmpp.iqCaller.request(xml("iq", { type, to: room }, child));
      } catch (error) {
        if (error.name !== "StanzaError") throw error;
        throw Object.assign(new Error(error.text || error.condition), { condition: error.condition });
      }
    },
    async stop() {
      xmpp.reconnect?.stop();
      await xmpp.stop().catch(() => {});
    },
  };
}
