// The watch page (/live/<event>): the WebRTC player and the event's chat side by side.
// Bundled with its npm libraries into web/assets/watch.js (npm run build).
import { startWhep } from "/whep-player.js";
import { messageList } from "./message_list.js";
import { joinRoom } from "./room.js";
import { loadEvent, slugFromPath } from "./event_page.js";
import { qualityMenu } from "./quality_menu.js";

// The chat keeps the newest 200 messages, added in batches at most every 100 ms
// (message_list.js).
const MAX_MESSAGES = 200;
const FLUSH_MS = 100;
const RETRY_MS = 5000;
// When the stream comes back, the quality menu is read at once and again after this: the
// streamer's browser starts its larger layers only as its bandwidth estimate grows.
const LAYERS_SETTLE_MS = 2000;

const $ = (id) => document.getElementById(id);
const slug = slugFromPath("/live/");
window.watch = { slug };

// LIVE needs both: the player connected, and someone publishing (the room's status push,
// urn:throng:stream:0; the event API says it first). Viewers stay connected while the stream
// is offline and see it again when the streamer returns.
// `videoNote`: why this browser gets the sound only (whep-player.js, missingVideo), or null.
const playback = { connected: false, publishing: true, videoNote: null };

function showState() {
  const live = playback.connected && playback.publishing;
  $("state").textContent = live ? "live" : "offline";
  $("state").className = `badge ${live ? "live" : "offline"}`;
  if (playback.connected) {
    screenMessage(playback.publishing
      ? playback.videoNote
      : "The stream is offline. It comes back here when the streamer returns.");
  }
}

function setLive(connected) {
  playback.connected = connected;
  showState();
}

// The Quality menu (simulcast layers), read through the current WHEP session.
const quality = qualityMenu({ box: $("quality-box"), select: $("quality"), video: $("video"),
                              player: () => window.watch.player ?? null });
window.watch.quality = quality;
let layersTimer = null;

function refreshLayers() {
  quality.refresh();
  clearTimeout(layersTimer);
  layersTimer = setTimeout(quality.refresh, LAYERS_SETTLE_MS);
}

function setPublishing(publishing, viewers) {
  // Live again: perhaps with other layers (another encoder, simulcast turned on or off).
  if (publishing && !playback.publishing) refreshLayers();
  playback.publishing = publishing;
  if (viewers !== undefined) {
    $("viewers").textContent = `${viewers} watching`;
  }
  showState();
}

function screenMessage(text) {
  $("screen-message").textContent = text ?? "";
  $("screen-message").hidden = !text;
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
      // Resolves when the session fails for good (the server closed it: a new stream of other
      // codecs, a restart): then a new session is made.
      await new Promise((resolve, reject) => {
        startWhep(video, event.whep_path, {
          onState: (state) => {
            if (state === "disconnected") screenMessage("Reconnecting…");
            setLive(state === "connected");
            if (state === "connected") refreshLayers();
            if (state === "failed" || state === "closed") resolve();
          },
        }).then((player) => {
          window.watch.player = player;
          const missing = player.missingVideo;
          playback.videoNote = missing === null ? null
            : `This browser cannot play this stream's video${missing ? ` (${missing})` : ""}.`;
          showState();
        }, reject);
      });
      window.watch.player?.stop();
      screenMessage("Reconnecting…");
      await new Promise((r) => setTimeout(r, 1000));
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

const chatList = messageList($("messages"), { max: MAX_MESSAGES, flushMs: FLUSH_MS });

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
      onMessage: chatList.add,
      onRetract: chatList.retract,
      onNotice: chatList.notice,
      onOccupants: (count) => ($("audience").textContent = `${count} in chat`),
      onStream: ({ live, viewers }) => setPublishing(live, viewers),
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
  const event = await loadEvent(slug);
  document.title = `${event.title} — throng`;
  $("title").textContent = event.title;
  $("description").textContent = event.description;
  setPublishing(event.live, event.viewers);
  await Promise.all([play(event), chat(event)]);
} catch (error) {
  setLive(false);
  screenMessage(error.message);
  $("chat-status").textContent = error.message;
  window.watch.error = error.message;
}
