// The streamer's studio (/studio/<event>): the streamer signs in with their chat account and
// gets what OBS needs (the WHIP URL and the stream key, with copy buttons and a rotation), or
// goes live from this browser (camera, screen or none, microphone; through WHIP with
// web/whip-publisher.js), and sees their stream as the server sees it (LIVE/OFFLINE, viewers,
// bitrate, loss, keyframe interval, codec: GET /api/v1/events/<event>/studio every 2 s, HTTP
// Basic with the same account) beside the event's chat (joined with the account).
// Bundled with its npm libraries into web/assets/studio.js (npm run build).
import { startWhip } from "/whip-publisher.js";
import { basicAuthorization, readSignInForm, signInFailureText,
         websocketUrl } from "./account.js";
import { messageList } from "./message_list.js";
import { joinRoom } from "./room.js";
import { loadEvent, setResult, slugFromPath } from "./event_page.js";

const POLL_MS = 2000;          // the studio API is read this often (health is updated each second)
const SLOW_POLL_MS = 10_000;   // after a 429 or a network failure
const MAX_BITRATE = 2_500_000; // what a browser sends at most: 720p30 VP8 looks good at this
const MAX_MESSAGES = 200;
const FLUSH_MS = 100;
// A viewer who arrives waits for the next keyframe; more than this and they notice.
// OBS is best at 2 s.
const SLOW_KEYFRAMES_S = 4;
const HIGH_LOSS = 0.02;

// The studio's choices that outlive the page (this browser's localStorage).
const SIMULCAST_KEY = "throng.studio.simulcast";

const $ = (id) => document.getElementById(id);
const slug = slugFromPath("/studio/");
const state = { slug, error: undefined, studio: null, publishing: false, joined: false };
window.studio = state;  // for tests and the curious

let event = null;
let credentials = null;  // {username, password, jid}: in this page's memory only, while signed in
let room = null;         // joinRoom()'s handle
let media = null;        // the MediaStream in the preview (and sent while live)
let live = null;         // startWhip()'s handle while publishing from this browser
let busy = false;        // a capture or a Go live is under way
let pollTimer = null;
let canSend = true;      // this browser can capture and send (WebRTC, a secure page)

// The studio API (server/studio_api.h): `action` is "studio" or "studio/rotate-key".
async function studioRequest(action, method = "GET") {
  // credentials: "omit" so that a refusal never opens the browser's own login dialog.
  const response = await fetch(`/api/v1/events/${encodeURIComponent(slug)}/${action}`, {
    method,
    headers: { Authorization: basicAuthorization(credentials), Accept: "application/json" },
    credentials: "omit",
    cache: "no-store",
  });
  if (!response.ok) {
    const text = (await response.text()).trim();
    throw Object.assign(new Error(text || `HTTP ${response.status}`), { status: response.status });
  }
  return response.json();
}

// --- what the server sees ---------------------------------------------------------------

const kbps = (bps) => `${Math.round(bps / 1000).toLocaleString("en")} kbit/s`;

function figure(id, text, quality) {
  const dd = $(id);
  dd.textContent = text;
  dd.classList.toggle("bad", quality === "bad");
  dd.classList.toggle("good", quality === "good");
}

function showStudio(studio) {
  state.studio = studio;
  if ($("whip-url").value !== studio.whip_url) $("whip-url").value = studio.whip_url;
  if ($("stream-key").value !== studio.stream_key) $("stream-key").value = studio.stream_key;
  const badge = $("on-air");
  badge.hidden = false;
  badge.textContent = studio.live ? "live" : "offline";
  badge.className = `badge ${studio.live ? "live" : "offline"}`;
  $("viewers").hidden = false;
  $("viewers").textContent = `${studio.viewers} watching`;

  const h = studio.health;
  const mine = state.publishing;
  figure("h-state", studio.live ? (mine && h ? "Live, this browser"
                                   : h ? "Live, an encoder" : "Live, test source")
                                : mine ? "Connecting…" : "Offline",
         studio.live ? "good" : null);
  figure("h-viewers", String(studio.viewers));
  if (h) {
    const total = h.video_bitrate_bps + h.audio_bitrate_bps;
    figure("h-bitrate", kbps(total), total > 0 ? null : "bad");
    $("h-bitrate").title = `video ${kbps(h.video_bitrate_bps)}, audio ${kbps(h.audio_bitrate_bps)}`;
    figure("h-loss", `${(h.video_loss * 100).toFixed(1)} %`,
           h.video_loss > HIGH_LOSS ? "bad" : null);
    // A browser sends keyframes when asked (throng asks when a viewer arrives), not on a
    // schedule: its interval is nothing to fix. An encoder's is.
    const interval = h.keyframe_interval_s;
    figure("h-keyframe", interval > 0 ? `${interval.toFixed(1)} s` : "—",
           !mine && h.keyframe_interval_s > SLOW_KEYFRAMES_S ? "bad" : null);
    figure("h-codec", h.video_codec || "—");
    figure("h-repaired", `${h.lost} · ${h.recovered}`, h.lost > 0 ? "bad" : null);
    $("h-repaired").title = `${h.lost} packets lost for good, ${h.recovered} recovered by ` +
                            `retransmission (${h.nacks_sent} NACKs sent)`;
  } else {
    for (const id of ["h-bitrate", "h-loss", "h-keyframe", "h-codec", "h-repaired"]) {
      figure(id, "—");
      $(id).title = "";
    }
  }
  let note = "";
  if (!studio.live && !mine) {
    note = "Nobody is sending to this event: go live here, or start streaming in OBS.";
  } else if (studio.live && !h) {
    note = "The event shows the server's built-in test source; going live here or from OBS " +
           "takes over.";
  } else if (h && !mine && h.keyframe_interval_s > SLOW_KEYFRAMES_S) {
    note = `A keyframe only every ${h.keyframe_interval_s.toFixed(0)} s: viewers who arrive wait ` +
           "for the next one. Set the encoder's keyframe interval to 2 s.";
  } else if (h && h.video_loss > HIGH_LOSS) {
    note = "Packets are lost on the way to the server: lower the bitrate or check the network.";
  } else if (h && h.b_frames > 0) {
    note = "The encoder sends B-frames, which WebRTC viewers may not play: turn them off " +
           "(bframes=0).";
  }
  $("health-note").textContent = note;
}

async function showSending() {
  if (!live) {
    figure("h-sending", "—");
    $("h-sending-label").textContent = "Sending";
    return;
  }
  const sending = await live.stats().catch(() => null);
  const sent = sending?.video;
  state.sending = sent ? { width: sent.frameWidth, height: sent.frameHeight,
                           fps: sent.framesPerSecond,
                           layers: sending.videoLayers.map((l) => ({ rid: l.rid,
                                                                     width: l.frameWidth })) }
    : null;
  const fps = sent?.framesPerSecond ? ` · ${Math.round(sent.framesPerSecond)} fps` : "";
  figure("h-sending", sent?.frameWidth ? `${sent.frameWidth}×${sent.frameHeight}${fps}`
    : live.senders.video ? "starting…" : "sound only");
  // With simulcast the largest picture is shown, and how many layers the browser sends now
  // (it leaves the larger ones out while its bandwidth estimate is too low for them).
  const layers = sending?.videoLayers.filter((l) => l.frameWidth > 0 && l.framesPerSecond > 0);
  $("h-sending-label").textContent = live.simulcast && layers
    ? `Sending · ${layers.length} of 3 qualities` : "Sending";
}

async function poll() {
  pollTimer = null;
  if (!credentials) return;
  let next = POLL_MS;
  try {
    showStudio(await studioRequest("studio"));
    await showSending();
  } catch (error) {
    if (error.status === 401 || error.status === 403) {
      // The account lost its rights (or its password changed): the studio closes.
      setResult($("live-status"), `The server refused this account now: ${error.message}`, false);
      stopPolling();
      return;
    }
    next = SLOW_POLL_MS;
    $("health-note").textContent = `Could not reach the server (${error.message}); trying again.`;
  }
  if (credentials) pollTimer = setTimeout(poll, next);
}

function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = null;
}

function pollSoon() {
  stopPolling();
  pollTimer = setTimeout(poll, 300);
}

// --- the OBS settings -------------------------------------------------------------------

async function copy(input, what) {
  const status = $("key-status");
  try {
    await navigator.clipboard.writeText(input.value);
    setResult(status, `${what} copied.`, true);
  } catch {
    // No clipboard (an insecure page, or refused): leave it selected for Ctrl+C.
    const hidden = input.type === "password";
    if (hidden) showKey(true);
    input.focus();
    input.select();
    const name = what.replace("Stream", "stream");
    setResult(status, `The browser refused the clipboard: the ${name} is selected, press Ctrl+C.`,
              false);
  }
}

function showKey(shown) {
  $("stream-key").type = shown ? "text" : "password";
  $("show-key").textContent = shown ? "Hide" : "Show";
  $("show-key").setAttribute("aria-pressed", String(shown));
}

$("obs-form").addEventListener("submit", (e) => e.preventDefault());
$("copy-url").addEventListener("click", () => copy($("whip-url"), "WHIP URL"));
$("copy-key").addEventListener("click", () => copy($("stream-key"), "Stream key"));
$("show-key").addEventListener("click", () => showKey($("stream-key").type === "password"));

const rotateDialog = $("rotate-dialog");
$("rotate").addEventListener("click", () => {
  rotateDialog.returnValue = "";
  rotateDialog.showModal();
});
rotateDialog.addEventListener("close", async () => {
  const status = $("key-status");
  $("rotate").focus();
  if (rotateDialog.returnValue !== "rotate" || !credentials) return;
  setResult(status, "Rotating…", null);
  try {
    showStudio(await studioRequest("studio/rotate-key", "POST"));
    setResult(status, live ? "New key. Your live stream goes on; the next one uses the new key."
                           : "New key: give it to OBS before its next stream.", true);
  } catch (error) {
    setResult(status, `Not rotated: ${error.message}`, false);
  }
});

// --- going live from the browser ----------------------------------------------------------

const videoChoice = () => document.querySelector('input[name="video"]:checked').value;

function captureErrorText(error) {
  if (error.name === "NotAllowedError") return "The browser was not allowed to use that source.";
  if (error.name === "NotFoundError") return "No such device: is a camera or microphone connected?";
  if (error.name === "NotReadableError") return "The device is busy in another application.";
  return error.message;
}

// A MediaStream of what the form asks for: camera or screen (or no video), and the microphone.
async function capture() {
  const tracks = [];
  const choice = videoChoice();
  const cameraId = $("camera-device").value;
  const micId = $("mic-device").value;
  try {
    if (choice === "screen") {
      const screen = await navigator.mediaDevices.getDisplayMedia({
        video: { frameRate: { ideal: 30 } }, audio: false });
      tracks.push(...screen.getVideoTracks());
    }
    const constraints = {};
    if (choice === "camera") {
      constraints.video = { width: { ideal: 1280 }, height: { ideal: 720 },
                            frameRate: { ideal: 30 },
                            ...(cameraId ? { deviceId: { exact: cameraId } } : {}) };
    }
    if ($("mic").checked) {
      constraints.audio = { echoCancellation: true, noiseSuppression: true,
                            ...(micId ? { deviceId: { exact: micId } } : {}) };
    }
    if (constraints.video || constraints.audio) {
      tracks.push(...(await navigator.mediaDevices.getUserMedia(constraints)).getTracks());
    }
  } catch (error) {
    for (const track of tracks) track.stop();
    throw error;
  }
  return new MediaStream(tracks);
}

function fillDevices(select, devices, fallback) {
  const current = select.value;
  const options = [new Option(fallback, "")];
  devices.forEach((d, i) =>
    options.push(new Option(d.label || `${fallback} ${i + 1}`, d.deviceId)));
  select.replaceChildren(...options);
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}

// Device names are given only once the page may use a device (after the first capture).
async function listDevices() {
  const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
  fillDevices($("camera-device"), devices.filter((d) => d.kind === "videoinput" && d.deviceId),
              "Default camera");
  fillDevices($("mic-device"), devices.filter((d) => d.kind === "audioinput" && d.deviceId),
              "Default microphone");
}

function showPreview(stream) {
  const video = $("preview");
  video.srcObject = stream;
  const hasVideo = Boolean(stream?.getVideoTracks().length);
  const message = $("preview-message");
  message.hidden = hasVideo;
  message.textContent = !stream ? "No preview: pick a source and press Preview or Go live."
    : stream.getAudioTracks().length ? "Sound only: no picture." : "Nothing selected.";
  $("preview-button").textContent = stream ? "Stop preview" : "Preview";
  for (const track of stream?.getVideoTracks() ?? []) {
    track.addEventListener("ended", () => {
      if (media?.getVideoTracks().includes(track)) {
        setResult($("live-status"), live
          ? "The video source stopped (screen sharing ended?): viewers see the last picture. " +
            "Pick a source, or End."
          : "The video source stopped.", false);
      }
    });
  }
}

function stopMedia(stream, keep = []) {
  for (const track of stream?.getTracks() ?? []) if (!keep.includes(track)) track.stop();
}

function updateControls() {
  const choice = videoChoice();
  $("camera-device").disabled = choice !== "camera";
  $("mic-device").disabled = !$("mic").checked;
  // While live only End is offered: the preview is what is sent, it stays on until End.
  $("go-live").hidden = $("preview-button").hidden = Boolean(live);
  $("end").hidden = !live;
  $("go-live").disabled = $("preview-button").disabled = !canSend || busy;
  // The layers are fixed when the connection is made: the choice counts from the next Go live.
  $("simulcast").disabled = !canSend || busy || Boolean(live);
}

async function startPreview() {
  busy = true;
  updateControls();
  try {
    const stream = await capture();
    stopMedia(media);
    media = stream;
    showPreview(media);
    await listDevices();
    return true;
  } catch (error) {
    setResult($("live-status"), captureErrorText(error), false);
    return false;
  } finally {
    busy = false;
    updateControls();
  }
}

$("preview-button").addEventListener("click", async () => {
  if (media && !live) {
    stopMedia(media);
    media = null;
    showPreview(null);
    setResult($("live-status"), "", null);
    return;
  }
  if (await startPreview()) setResult($("live-status"), "Preview on: nothing is sent yet.", null);
});

// A source changed: a running preview follows; while live, the new tracks replace the sent
// ones on the same connection (RTCRtpSender.replaceTrack: no new offer, viewers stay).
async function sourceChanged() {
  updateControls();
  if (!media || busy) return;
  busy = true;
  updateControls();
  try {
    const next = await capture();
    if (live) {
      for (const kind of ["video", "audio"]) {
        const track = next.getTracks().find((t) => t.kind === kind) ?? null;
        if (live.senders[kind]) {
          await live.senders[kind].replaceTrack(track);
        } else if (track) {
          setResult($("live-status"), `This stream started without ${kind}: End and go live ` +
                                      `again to add it.`, false);
        }
      }
    }
    stopMedia(media);
    media = next;
    showPreview(media);
    await listDevices();
  } catch (error) {
    setResult($("live-status"), captureErrorText(error), false);
  } finally {
    busy = false;
    updateControls();
  }
}

$("source-form").addEventListener("change", sourceChanged);

// Simulcast: off unless this browser's streamer turned it on before.
function storedSimulcast() {
  try {
    return localStorage.getItem(SIMULCAST_KEY) === "on";
  } catch {
    return false;  // storage refused (a private window, a blocked site): the default
  }
}

$("simulcast").checked = storedSimulcast();
$("simulcast").addEventListener("change", () => {
  try {
    localStorage.setItem(SIMULCAST_KEY, $("simulcast").checked ? "on" : "off");
  } catch {
    // Not remembered; it still counts for this page.
  }
});

function whipErrorText(error) {
  if (error.status === 401) {
    return "The server refused the stream key (rotated elsewhere?). The page has the current " +
           "key now: press Go live again.";
  }
  if (error.status === 409) {
    return "Another encoder is live on this event. End it there first (or have an admin allow " +
           "takeover for the event).";
  }
  if (error.status === 503) return "The server cannot take a stream now; try again in a moment.";
  return `Could not go live: ${error.message}`;
}

// Simulcast asked for but not taken (a server without it answers for one quality): said so.
function liveText() {
  return $("simulcast").checked && live && !live.simulcast
    ? "You are live, in one quality: the server does not take three." : "You are live.";
}

$("go-live").addEventListener("click", async () => {
  if (live || busy || !state.studio) return;
  const status = $("live-status");
  if (!media && !(await startPreview())) return;
  if (media.getTracks().length === 0) {
    setResult(status, "Pick a camera, a screen or the microphone first.", false);
    return;
  }
  busy = true;
  updateControls();
  setResult(status, "Connecting…", null);
  let handle = null;
  try {
    handle = await startWhip(state.studio.whip_url, state.studio.stream_key, media, {
      maxBitrate: MAX_BITRATE,
      simulcast: $("simulcast").checked,
      onState: (pcState) => {
        // Before startWhip() returns, `handle` is null: the state is shown once it does.
        if (!handle || live !== handle) return;
        if (pcState === "connected") {
          setResult(status, liveText(), true);
        } else if (pcState === "disconnected") {
          setResult(status, "The connection to the server is interrupted…", false);
        } else if (pcState === "failed") {
          setResult(status, "The connection to the server failed: the stream ended.", false);
          endLive();
        }
      },
    });
    live = handle;
    state.live = live;
    state.publishing = true;
    if (live.pc.connectionState !== "connected") setResult(status, "Connecting…", null);
    else setResult(status, liveText(), true);
    pollSoon();
  } catch (error) {
    setResult(status, whipErrorText(error), false);
    if (error.status === 401) pollSoon();  // fetch the current key
  } finally {
    busy = false;
    updateControls();
  }
  if (live) $("end").focus();  // Go live is hidden now: the keyboard goes on from End
});

async function endLive() {
  const ending = live;
  live = null;
  state.live = null;
  state.publishing = false;
  updateControls();
  showPreview(media);
  await ending?.stop();
  pollSoon();
}

$("end").addEventListener("click", async () => {
  await endLive();
  setResult($("live-status"),
            "The stream ended. The preview is still on; Go live starts a new one.", null);
  $("go-live").focus();
});

// Leaving the page ends the broadcast at once instead of after the server's timeout.
addEventListener("pagehide", () => {
  if (!live) return;
  live.pc.close();
  fetch(live.resource, { method: "DELETE", keepalive: true }).catch(() => {});
});

// --- the chat -----------------------------------------------------------------------------

const chatList = messageList($("messages"), { max: MAX_MESSAGES, flushMs: FLUSH_MS });

$("send-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const body = $("text").value.trim();
  if (!body || !room?.joined) return;
  room.send(body);
  $("text").value = "";
});

// --- signing in and out -------------------------------------------------------------------

function signedIn(on) {
  $("sign-in").hidden = on;
  $("desk").hidden = !on;
  $("sign-out").hidden = !on;
  $("who").hidden = !on;
}

$("sign-in-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = readSignInForm(event.chat.domain);
  if (!form) return;
  const { username, domain, jid, password, error } = form;
  try {
    // The chat login checks the password first (SCRAM: it never crosses the wire), so a
    // mistyped one costs no HTTP request; the studio API then says whether the account may
    // stream here.
    room = await joinRoom(
      { websocket: websocketUrl(event.chat.websocket_path), domain, room: event.chat.room,
        nick: username, username, password, history: 50 },
      {
        onMessage: chatList.add,
        onRetract: chatList.retract,
        onNotice: chatList.notice,
        onOccupants: (count) => ($("room-count").textContent = `· ${count} in the room`),
        onJoined: (nick) => {
          state.joined = true;
          state.nick = nick;
          $("text").disabled = $("send").disabled = false;
          setResult($("chat-status"), `You are ${nick} in the chat.`, null);
        },
        onLeft: (reason) => {
          state.joined = false;
          $("text").disabled = $("send").disabled = true;
          setResult($("chat-status"), reason, false);
        },
        onStatus: (text) => setResult($("chat-status"), text, null),
      });
    credentials = { username, password, jid };
    let studio;
    try {
      studio = await studioRequest("studio");
    } catch (refused) {
      credentials = null;
      await room.stop();
      room = null;
      error.textContent = refused.status === 403
        ? `${jid} may not stream to this event: only the owners and admins of its room can.`
        : refused.status === 429 ? "Too many attempts from here: wait a minute."
        : `The studio is not available: ${refused.message}`;
      return;
    }
    $("password").value = "";
    $("who").textContent = jid;
    signedIn(true);
    showStudio(studio);
    updateControls();
    state.signedIn = true;
    pollTimer = setTimeout(poll, POLL_MS);
    $("broadcast-heading").focus();
  } catch (failure) {
    credentials = null;
    room = null;
    error.textContent = signInFailureText(failure);
    $("password").select();
    $("password").focus();
  } finally {
    form.done();
  }
});

$("sign-out").addEventListener("click", async () => {
  stopPolling();
  if (live) await endLive();
  stopMedia(media);
  media = null;
  credentials = null;  // the password goes with the sign-out
  const leaving = room;
  room = null;
  await leaving?.stop();
  location.reload();  // a clean page: nothing of the signed-in studio remains
});

// --- start --------------------------------------------------------------------------------

try {
  event = await loadEvent(slug);
  document.title = `Studio: ${event.title} — throng`;
  $("title").textContent = event.title;
  $("watch-link").href = `/live/${encodeURIComponent(slug)}`;
  if (!navigator.mediaDevices?.getUserMedia || typeof RTCPeerConnection === "undefined") {
    canSend = false;
    updateControls();
    $("source-fields").disabled = $("mic-fields").disabled = true;
    $("preview-message").textContent = "This browser cannot send video from this page " +
      "(it needs WebRTC and an https page); stream from OBS with the settings below.";
  }
  if (!navigator.mediaDevices?.getDisplayMedia) {
    document.querySelector('input[name="video"][value="screen"]').disabled = true;
  }
  $("account").focus();
  state.ready = true;
} catch (error) {
  $("sign-in-error").textContent = error.message;
  $("sign-in-button").disabled = true;
  state.error = error.message;
}
