// The watch page (/live/<event>): the WebRTC player and the event's chat side by side.
// Bundled with its npm libraries into web/assets/watch.js (npm run build).
import { startWhep } from "/whep-player.js";
import { cachedColour, consistentColour, initials } from "./colour.js";
import { joinRoom } from "./room.js";

// The list keeps the newest messages only, so a busy room (50 messages a second) costs the
// page a bounded DOM and bounded work per message. New rows are added in batches, at most
// every FLUSH_MS: one layout read and one scroll per batch instead of per message (a chat at
// 50 messages a second is not read message by message anyway).
const MAX_MESSAGES = 200;
const FLUSH_MS = 100;
const RETRY_MS = 5000;

const $ = (id) => document.getElementById(id);
const slug = decodeURIComponent(location.pathname.replace(/^\/live\//, "").replace(/\/$/, ""));
window.watch = { slug };

function setLive(live) {
  $("state").textContent = live ? "live" : "offline";
  $("state").className = `badge ${live ? "live" : "offline"}`;
}

function screenMessage(text) {
  $("screen-message").textContent = text ?? "";
  $("screen-message").hidden = !text;
}

async function loadEvent() {
  const response = await fetch(`/api/public/events/${encodeURIComponent(slug)}`,
                               { headers: { Accept: "application/json" } });
  if (response.status === 404) throw new Error(`There is no event “${slug}”.`);
  if (!response.ok) throw new Error(`Could not load the event (HTTP ${response.status}).`);
  return response.json();
}

// --- the player -------------------------------------------------------------------------

async function play(event) {
  const video = $("video");
  if (typeof RTCPeerConnection === "undefined") {
    screenMessage("This browser cannot play WebRTC video. Try a current Firefox, Chrome or Safari.");
    setLive(false);
    return;
  }
  const unmute = $("unmute");
  unmute.addEventListener("click", () => {
    video.muted = !video.muted;
    unmute.textContent = video.muted ? "Unmute" : "Mute";
    if (!video.muted) video.play().catch(() => {});
  });
  for (;;) {
    try {
      const player = await startWhep(video, event.whep_path, {
        onState: (state) => {
          setLive(state === "connected");
          if (state === "connected") screenMessage(null);
          if (state === "failed" || state === "disconnected") screenMessage("Reconnecting…");
        },
      });
      window.watch.player = player;
      return;
    } catch (error) {
      setLive(false);
      if (error.status === 404) {
        screenMessage("The stream is offline. It starts here as soon as it goes live.");
      } else if (error.status === 503) {
        screenMessage("The stream is full right now; trying again in a moment.");
      } else {
        screenMessage(error.message);
      }
      await new Promise((r) => setTimeout(r, (error.retryAfter || RETRY_MS / 1000) * 1000));
    }
  }
}

// --- the chat ---------------------------------------------------------------------------

const messages = $("messages");
const byId = new Map();  // stanza-id → <li>, for moderation

let pending = [];
let flushTimer = null;

function append(item, id) {
  if (id) byId.set(id, item);
  pending.push(item);
  if (pending.length > MAX_MESSAGES) {
    for (const dropped of pending.splice(0, pending.length - MAX_MESSAGES)) {
      if (dropped.dataset.id) byId.delete(dropped.dataset.id);
    }
  }
  flushTimer ??= setTimeout(flush, FLUSH_MS);
}

function flush() {
  flushTimer = null;
  const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 40;
  const batch = document.createDocumentFragment();
  batch.append(...pending);
  pending = [];
  messages.append(batch);
  for (let extra = messages.childElementCount - MAX_MESSAGES; extra > 0; extra -= 1) {
    const oldest = messages.firstElementChild;
    if (oldest.dataset.id) byId.delete(oldest.dataset.id);
    oldest.remove();
  }
  if (atBottom) messages.scrollTop = messages.scrollHeight;
}

function notice(text) {
  const item = document.createElement("li");
  item.className = "notice";
  item.textContent = text;
  append(item);
}

function showMessage({ id, nick, text }) {
  const item = document.createElement("li");
  if (id) item.dataset.id = id;
  const badge = document.createElement("span");
  badge.className = "initials";
  badge.textContent = initials(nick);
  badge.setAttribute("aria-hidden", "true");
  const line = document.createElement("div");
  const name = document.createElement("span");
  name.className = "nick";
  name.textContent = nick;
  const body = document.createElement("span");
  body.className = "text";
  body.textContent = text;
  line.append(name, body);
  item.append(badge, line);
  const paint = (colour) => {
    badge.style.background = colour;
    name.style.color = colour;
  };
  const known = cachedColour(nick);
  if (known) paint(known); else consistentColour(nick).then(paint);
  append(item, id);
}

function retract(id) {
  const item = byId.get(id);
  if (!item) return;
  item.classList.add("removed");
  item.querySelector(".text").textContent = "(removed by a moderator)";
}

async function chat(event) {
  const nickInput = $("nick");
  const text = $("text");
  const send = $("send");
  const generated = `viewer-${Math.floor(1000 + Math.random() * 9000)}`;
  nickInput.value = generated;
  const websocket = new URL(event.chat.websocket_path, location.href);
  websocket.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  const room = await joinRoom(
    { websocket: websocket.href, domain: event.chat.anonymous_domain, room: event.chat.room,
      nick: generated },
    {
      onMessage: showMessage,
      onRetract: retract,
      onNotice: notice,
      onOccupants: (count) => ($("audience").textContent = `${count} in chat`),
      onSubject: (subject) => ($("topic").textContent = subject || "Chat"),
      onJoined: (nick) => {
        nickInput.value = nick;
        text.disabled = send.disabled = false;
        $("chat-status").textContent = `You are ${nick}.`;
      },
      onStatus: (status) => ($("chat-status").textContent = status),
    });
  window.watch.room = room;
  $("nick-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const nick = nickInput.value.trim();
    if (nick) room.changeNick(nick);
  });
  $("send-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const body = text.value.trim();
    if (!body || !room.joined) return;
    room.send(body);
    text.value = "";
  });
}

// --- start ------------------------------------------------------------------------------

try {
  const event = await loadEvent();
  document.title = `${event.title} — throng`;
  $("title").textContent = event.title;
  $("description").textContent = event.description;
  await Promise.all([play(event), chat(event)]);
} catch (error) {
  setLive(false);
  screenMessage(error.message);
  $("chat-status").textContent = error.message;
  window.watch.error = error.message;
}
