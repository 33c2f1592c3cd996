// The event's chat room over XMPP (RFC 7395 WebSocket, SASL ANONYMOUS, XEP-0045 MUC) with
// @xmpp/client. The page reads before it speaks: it joins under a generated name at once, and
// a name the viewer chooses later is a nickname change (XEP-0045 §7.6) — not announced, as the
// room does not broadcast visitors' presence.
import { client, xml } from "@xmpp/client";

const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";
const OCCUPANTS = "urn:throng:muc:occupants:0";
const STANZA_ID = "urn:xmpp:sid:0";

// Events: onMessage({id, nick, text, delayed}), onRetract(id), onNotice(text),
// onOccupants(count), onSubject(text), onJoined(nick), onStatus(text).
export async function joinRoom({ websocket, domain, room, nick }, handlers) {
  const xmpp = client({ service: websocket, domain });
  let currentNick = nick;
  let pendingNick = null;
  let joined = false;
  xmpp.on("error", (error) => handlers.onStatus(`Chat error: ${error.message}`));
  xmpp.on("offline", () => handlers.onStatus("Chat disconnected."));
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
        handlers.onNotice(condition === "conflict" ? `The name “${pendingNick}” is taken.`
                                                   : `Could not change name (${condition}).`);
        pendingNick = null;
      } else if (!joined && condition === "conflict") {
        currentNick = `${nick}-${Math.floor(Math.random() * 1000)}`;
        sendJoin();
      } else if (!joined) {
        handlers.onStatus(`Could not join the chat (${condition}).`);
      }
      return;
    }
    const codes = (stanza.getChild("x", MUC_USER)?.getChildren("status") ?? []).map(
      (s) => s.attrs.code);
    if (codes.includes("110")) {
      if (stanza.attrs.type === "unavailable") {
        if (codes.includes("303")) return;  // our own nick change: the new presence follows
        joined = false;
        const reason = codes.includes("301") ? "You were banned from the chat."
                     : codes.includes("307") ? "You were removed from the chat." : "You left the chat.";
        handlers.onNotice(reason);
        handlers.onStatus(reason);
        return;
      }
      currentNick = nickOf;
      pendingNick = null;
      joined = true;
      handlers.onJoined(currentNick);
    }
  }

  function onMessage(stanza) {
    const from = stanza.attrs.from ?? "";
    if (!from.startsWith(room)) return;
    if (stanza.attrs.type === "error") {
      const error = stanza.getChild("error");
      const text = error?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas");
      const condition = error?.children?.find((c) => c.name !== "text")?.name ?? "error";
      handlers.onNotice(`Not sent: ${text ?? condition}`);
      return;
    }
    const occupants = stanza.getChild("occupants", OCCUPANTS);
    if (occupants) handlers.onOccupants(Number(occupants.attrs.count));
    const subject = stanza.getChild("subject");
    if (subject && !stanza.getChild("body")) handlers.onSubject(subject.text());
    // XEP-0425 moderation, both the current (urn:xmpp:message-retract:1) and the older
    // (urn:xmpp:fasten:0 apply-to) form.
    const retract = stanza.getChild("retract", "urn:xmpp:message-retract:1");
    const applyTo = stanza.getChild("apply-to", "urn:xmpp:fasten:0");
    if (retract?.attrs.id || applyTo?.attrs.id) {
      handlers.onRetract(retract?.attrs.id ?? applyTo.attrs.id);
      return;
    }
    const body = stanza.getChildText("body");
    if (stanza.attrs.type !== "groupchat" || body === null) return;
    const stanzaId = stanza.getChildren("stanza-id", STANZA_ID).find((s) => s.attrs.by === room);
    handlers.onMessage({
      id: stanzaId?.attrs.id ?? null,
      nick: resourceOf(from),
      text: body,
      delayed: Boolean(stanza.getChild("delay", "urn:xmpp:delay")),
    });
  }

  function sendJoin() {
    return xmpp.send(xml("presence", { to: `${room}/${currentNick}` },
                         xml("x", { xmlns: MUC }, xml("history", { maxstanzas: "50" }))));
  }

  xmpp.on("online", () => {
    joined = false;
    sendJoin();
  });
  handlers.onStatus("Connecting to the chat…");
  await xmpp.start();

  return {
    get nick() { return currentNick; },
    get joined() { return joined; },
    async send(text) {
      await xmpp.send(xml("message", { to: room, type: "groupchat" }, xml("body", {}, text)));
    },
    async changeNick(newNick) {
      if (newNick === currentNick) return;
      pendingNick = newNick;
      await xmpp.send(xml("presence", { to: `${room}/${newNick}` }));
    },
    async stop() { await xmpp.stop().catch(() => {}); },
  };
}
