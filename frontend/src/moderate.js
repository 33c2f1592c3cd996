// The moderation panel (/moderate/<event>): a room owner, admin or moderator signs in with
// their chat account and, in the event's room, removes messages (XEP-0425), kicks, mutes and
// bans (XEP-0045 §8–9), changes slow mode, "anonymous users are muted" and the word filter
// (the owner form, XEP-0045 §10.2) and reads the audit log (GET
// /api/v1/rooms/<room>/moderation-log on this port, HTTP Basic with the same account).
// Bundled with its npm libraries into web/assets/moderate.js (npm run build).
//
// The room may hold tens of thousands: the DOM stays bounded. Messages are the newest 200
// (message_list.js); the people list holds whom the room broadcasts (moderators and
// participants — viewers' presence is sent to nobody) and shows at most 50 of them, with a
// search box; anyone else is acted on by the name in a message or typed.
import { xml } from "@xmpp/client";
import { basicAuthorization, readSignInForm, signInFailureText,
         websocketUrl } from "./account.js";
import { messageList } from "./message_list.js";
import { joinRoom } from "./room.js";
import { loadEvent, setResult, slugFromPath } from "./event_page.js";

const MAX_MESSAGES = 200;
const FLUSH_MS = 100;
const MAX_LISTED = 50;       // people shown at once; the search narrows the rest
const ROSTER_RENDER_MS = 250;  // presences of a busy room are drawn at most this often
const LOG_PAGE = 50;
const MAX_LOG_ROWS = 500;    // "Older entries" stops here; the API pages further

const MUC_ADMIN = "http://jabber.org/protocol/muc#admin";
const MUC_OWNER = "http://jabber.org/protocol/muc#owner";
const DATA = "jabber:x:data";
const ROOM_CONFIG = "http://jabber.org/protocol/muc#roomconfig";
const DISCO_INFO = "http://jabber.org/protocol/disco#info";
// The owner form's fields the panel edits (src/chat/muc/room_config.cpp).
const FIELDS = {
  slowMode: "muc#roomconfig_slow_mode_duration",
  anonymousMuted: "throng#roomconfig_anonymous_muted",
  moderated: "muc#roomconfig_moderatedroom",
  moderationDelay: "throng#roomconfig_moderation_delay",
  wordFilter: "throng#roomconfig_word_filter",
};

const $ = (id) => document.getElementById(id);
const slug = slugFromPath("/moderate/");
const state = { slug, room: null, error: undefined, log: [] };
window.moderate = state;  // for tests and the curious

let event = null;
let room = null;           // joinRoom()'s handle while signed in
let credentials = null;    // {username, password}: in this page's memory only, while signed in
let myRole = null;

// --- messages ---------------------------------------------------------------------------

const messagesEl = $("messages");
const chatList = messageList(messagesEl, {
  max: MAX_MESSAGES,
  flushMs: FLUSH_MS,
  decorate(item, message) {
    item.tabIndex = -1;  // focused by the arrow keys, not by Tab
    if (!message.id) return;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "delete";
    remove.textContent = "Delete";
    remove.tabIndex = -1;  // the row is the keyboard stop; Delete on it does the same
    remove.setAttribute("aria-label", `Delete the message from ${message.nick}`);
    item.append(remove);
  },
  onDropped(item) {
    // The bound trimmed the row that had the focus: keep the focus in the list.
    if (document.activeElement === item) focusRow(nextRow(item, 1) ?? messagesEl);
  },
});

const isRow = (element) => element?.matches?.("li[data-nick]");

function nextRow(from, direction) {
  let row = direction > 0 ? from.nextElementSibling : from.previousElementSibling;
  while (row && !isRow(row)) row = direction > 0 ? row.nextElementSibling : row.previousElementSibling;
  return row;
}

function firstRow() {
  const first = messagesEl.firstElementChild;
  return first && (isRow(first) ? first : nextRow(first, 1));
}

function lastRow() {
  let row = messagesEl.lastElementChild;
  while (row && !isRow(row)) row = row.previousElementSibling;
  return row;
}

function focusRow(row) {
  if (!row) return;
  row.focus();
  if (isRow(row)) row.scrollIntoView({ block: "nearest" });
}

// The list is one stop in the tab order: focusing it moves to the newest message, and while a
// message has the focus the list itself leaves the tab order, so Shift+Tab leaves the list.
messagesEl.addEventListener("focusin", (e) => {
  if (e.target === messagesEl) {
    // Tabbed into (not clicked: a click must not scroll the list to its end).
    const row = messagesEl.matches(":focus-visible") ? lastRow() : null;
    if (row) focusRow(row);
    return;
  }
  messagesEl.tabIndex = -1;
});
messagesEl.addEventListener("focusout", (e) => {
  if (!messagesEl.contains(e.relatedTarget)) messagesEl.tabIndex = 0;
});

messagesEl.addEventListener("keydown", (e) => {
  if (e.target === messagesEl) {
    // The list itself has the focus (it was empty when it got it): go to the messages.
    const to = { ArrowUp: lastRow, End: lastRow, ArrowDown: firstRow, Home: firstRow }[e.key]?.();
    if (to) {
      e.preventDefault();
      focusRow(to);
    }
    return;
  }
  const row = e.target.closest?.("li");
  if (!isRow(row)) return;
  let to = null;
  if (e.key === "ArrowDown") to = nextRow(row, 1);
  else if (e.key === "ArrowUp") to = nextRow(row, -1);
  else if (e.key === "Home") to = firstRow();
  else if (e.key === "End") to = lastRow();
  else if (e.key === "Delete" || e.key === "Backspace") {
    e.preventDefault();
    deleteMessage(row);
    return;
  } else if (e.key === "Enter") {
    e.preventDefault();
    pickPerson(row.dataset.nick);
    return;
  } else {
    return;
  }
  e.preventDefault();
  focusRow(to ?? row);
});

messagesEl.addEventListener("click", (e) => {
  const row = e.target.closest("li");
  if (!isRow(row)) return;
  if (e.target.closest("button.delete")) deleteMessage(row);
  else if (e.target.closest(".nick")) pickPerson(row.dataset.nick);
});

async function deleteMessage(row) {
  const id = row.dataset.id;
  if (!id || row.classList.contains("removed") || !room) return;
  const status = $("chat-status");
  try {
    await room.request("set",
      xml("moderate", { xmlns: "urn:xmpp:message-moderate:1", id },
          xml("retract", { xmlns: "urn:xmpp:message-retract:1" })));
    // The room's notice (onRetract) marks the row; this covers a notice that was shed.
    chatList.retract(id);
    setResult(status, `Removed a message from ${row.dataset.nick}.`, true);
    logChanged();
  } catch (error) {
    setResult(status, `Could not remove the message: ${error.message}`, false);
  }
}

// --- people -----------------------------------------------------------------------------

const roster = new Map();  // nick → {role, affiliation, jid}: the broadcast occupants
let rosterTimer = null;

function onOccupant(o) {
  if (o.gone) {
    roster.delete(o.nick);
    if (o.codes.includes("307")) chatList.notice(`${o.nick} was kicked.`);
    if (o.codes.includes("301")) chatList.notice(`${o.nick} was banned.`);
  } else {
    roster.set(o.nick, { role: o.role, affiliation: o.affiliation, jid: o.jid });
  }
  rosterTimer ??= setTimeout(renderRoster, ROSTER_RENDER_MS);
}

const ROLE_ORDER = { moderator: 0, participant: 1, visitor: 2 };

function renderRoster() {
  rosterTimer = null;
  const query = $("search").value.trim().toLowerCase();
  const matches = [];
  for (const [nick, o] of roster) {
    if (!query || nick.toLowerCase().includes(query)) matches.push([nick, o]);
  }
  matches.sort(([a, x], [b, y]) =>
    (ROLE_ORDER[x.role] ?? 3) - (ROLE_ORDER[y.role] ?? 3) || a.localeCompare(b));
  const items = matches.slice(0, MAX_LISTED).map(([nick, o]) => {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.nick = nick;
    const name = document.createElement("span");
    name.textContent = nick;
    const role = document.createElement("span");
    role.className = `role ${o.role ?? ""}`;
    role.textContent = o.affiliation && o.affiliation !== "none" ? `${o.role} · ${o.affiliation}` : o.role;
    button.append(name, role);
    button.setAttribute("aria-label", `${nick}, ${role.textContent}: act on them`);
    item.append(button);
    return item;
  });
  $("roster").replaceChildren(...items);
  $("roster-summary").textContent =
    matches.length === 0 ? (query ? "Nobody by that name is listed."
                                  : "No other moderators or participants are here.")
    : matches.length > MAX_LISTED ? `${MAX_LISTED} of ${matches.length} shown: narrow the search.`
    : `${matches.length} listed.`;
}

$("search").addEventListener("input", () => {
  clearTimeout(rosterTimer);
  rosterTimer = null;
  renderRoster();
});
$("roster").addEventListener("click", (e) => {
  const button = e.target.closest("button[data-nick]");
  if (button) pickPerson(button.dataset.nick);
});

// Makes `nick` the target of the people actions and takes the focus there.
function pickPerson(nick) {
  selectTab("people");
  $("target").value = nick;
  setResult($("act-status"), "", null);
  $("target").focus();
  $("target").select();
}

const ACTIONS = {
  kick: { item: (nick) => ({ nick, role: "none" }), done: (nick) => `${nick} was kicked.` },
  mute: { item: (nick) => ({ nick, role: "visitor" }), done: (nick) => `${nick} is muted.` },
  unmute: { item: (nick) => ({ nick, role: "participant" }), done: (nick) => `${nick} may speak again.` },
  ban: { item: (nick) => ({ nick, affiliation: "outcast" }), done: (nick) => `${nick} is banned.` },
};

async function act(action) {
  const nick = $("target").value.trim();
  const status = $("act-status");
  if (!nick) {
    setResult(status, "Type a nickname, or pick one in the messages or the list.", false);
    $("target").focus();
    return;
  }
  if (!room) return;
  const reason = $("reason").value.trim();
  const item = xml("item", ACTIONS[action].item(nick), reason ? xml("reason", {}, reason) : null);
  setResult(status, "…", null);
  try {
    await room.request("set", xml("query", { xmlns: MUC_ADMIN }, item));
    setResult(status, ACTIONS[action].done(nick), true);
    $("reason").value = "";
    logChanged();
  } catch (error) {
    setResult(status, `Refused: ${error.message}`, false);
  }
}

$("act-form").addEventListener("submit", (e) => e.preventDefault());
$("target").addEventListener("input", () => setResult($("act-status"), "", null));
for (const button of document.querySelectorAll("[data-action]")) {
  button.addEventListener("click", () => act(button.dataset.action));
}

// --- tabs (WAI-ARIA tabs: arrow keys move between them, one tab stop) -------------------

const tabs = [...document.querySelectorAll('[role="tab"]')];

function selectTab(name, focus = false) {
  for (const tab of tabs) {
    const selected = tab.getAttribute("aria-controls") === name;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(tab.getAttribute("aria-controls")).hidden = !selected;
    if (selected && focus) tab.focus();
  }
  if (name === "log" && credentials && (state.logStale || !state.logLoaded)) loadLog();
  if (name === "people") renderRoster();
}

for (const [index, tab] of tabs.entries()) {
  tab.addEventListener("click", () => selectTab(tab.getAttribute("aria-controls")));
  tab.addEventListener("keydown", (e) => {
    const to = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    selectTab(tabs[(to + tabs.length) % tabs.length].getAttribute("aria-controls"), true);
  });
}

// --- the room's size ----------------------------------------------------------------------

function showCount(count) {
  $("audience").textContent = `${count} in the room`;
}

// The room pushes its size only when it changes (docs/muc.md); on joining, disco#info has it
// (muc#roominfo_occupants, XEP-0045 §6.4).
async function loadCount() {
  try {
    const result = await room.request("get", xml("query", { xmlns: DISCO_INFO }));
    const form = result.getChild("query", DISCO_INFO)?.getChild("x", DATA);
    const count = fieldValues(form, "muc#roominfo_occupants")?.[0];
    if (count !== undefined && !$("audience").textContent) showCount(count);
  } catch {
    // Not essential: the next push brings the count.
  }
}

// --- room settings (the owner form, XEP-0045 §10.2) --------------------------------------

let settingsDirty = false;

function fieldValues(form, name) {
  const field = form?.getChildren("field").find((f) => f.attrs.var === name);
  return field ? field.getChildren("value").map((v) => v.text()) : null;
}

async function loadSettings() {
  const note = $("settings-note");
  const fields = $("settings-fields");
  try {
    const result = await room.request("get", xml("query", { xmlns: MUC_OWNER }));
    const form = result.getChild("query", MUC_OWNER)?.getChild("x", DATA);
    const first = (name, fallback) => fieldValues(form, name)?.[0] ?? fallback;
    const on = (name) => ["1", "true"].includes(first(name, "0"));
    $("slow-mode").value = first(FIELDS.slowMode, "0");
    $("anonymous-muted").checked = on(FIELDS.anonymousMuted);
    $("moderated").checked = on(FIELDS.moderated);
    $("moderation-delay").value = first(FIELDS.moderationDelay, "0");
    $("word-filter").value = (fieldValues(form, FIELDS.wordFilter) ?? []).join("\n");
    fields.disabled = $("settings-save").disabled = false;
    settingsDirty = false;
    setResult(note, "Changes apply at once to everyone in the room.", null);
  } catch (error) {
    // Shown, not hidden: a moderator who is not an owner sees why the form is disabled.
    fields.disabled = $("settings-save").disabled = true;
    setResult(note, `The server refused to show the room's settings: “${error.message}”.`, false);
  }
}

function formField(name, ...values) {
  return xml("field", { var: name }, ...values.map((v) => xml("value", {}, v)));
}

$("settings-form").addEventListener("input", () => (settingsDirty = true));
$("settings-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const status = $("settings-status");
  const patterns = $("word-filter").value.split("\n").map((l) => l.trim()).filter(Boolean);
  const submit = xml("x", { xmlns: DATA, type: "submit" },
    formField("FORM_TYPE", ROOM_CONFIG),
    formField(FIELDS.slowMode, String(Number($("slow-mode").value) || 0)),
    formField(FIELDS.anonymousMuted, $("anonymous-muted").checked ? "1" : "0"),
    formField(FIELDS.moderated, $("moderated").checked ? "1" : "0"),
    formField(FIELDS.moderationDelay, String(Number($("moderation-delay").value) || 0)),
    formField(FIELDS.wordFilter, ...patterns));
  setResult(status, "Saving…", null);
  try {
    await room.request("set", xml("query", { xmlns: MUC_OWNER }, submit));
    settingsDirty = false;
    setResult(status, "Saved: the room uses these settings now.", true);
    logChanged();
    await loadSettings();
  } catch (error) {
    setResult(status, `Refused: ${error.message}`, false);
  }
});
$("settings-reload").addEventListener("click", () => {
  setResult($("settings-status"), "", null);
  loadSettings();  // drops unsaved edits
});

// --- the audit log ----------------------------------------------------------------------

const ACTION_TEXT = {
  kick: "kicked", ban: "banned", unban: "unbanned", mute: "muted", unmute: "unmuted",
  role: "changed the role of", affiliation: "changed the affiliation of",
  "ip-ban": "banned the address", config: "changed the settings", destroy: "destroyed the room",
};

function logRow(entry) {
  const item = document.createElement("li");
  item.dataset.action = entry.action;
  const at = new Date(entry.at);
  const time = document.createElement("time");
  time.dateTime = entry.at;
  time.textContent = at.toLocaleString([], { dateStyle: "medium", timeStyle: "medium" });
  const actor = document.createElement("span");
  actor.className = "actor";
  actor.textContent = entry.actor_nick || entry.actor;
  actor.title = entry.actor;
  let what = `${ACTION_TEXT[entry.action] ?? entry.action} ${entry.target}`.trim();
  if (entry.action === "retract") {
    // "<stanza-id> (<nick>)": whose message it was matters, its id does not.
    const author = /\((.*)\)$/.exec(entry.target)?.[1];
    what = author ? `removed a message by ${author}` : "removed a message";
  } else if (entry.action === "role" || entry.action === "affiliation") {
    // "<nick> <role>" or "<jid> <affiliation>".
    const [, who, to] = /^(.*) (\S+)$/.exec(entry.target) ?? [];
    if (who) what = to === "none" ? `took the ${entry.action} of ${who}` : `made ${who} ${to}`;
  }
  item.append(time, actor, ` ${what}`);
  if (entry.action === "config") {
    // The server logs what changed ("slow_mode_seconds=30, word_filter=2 patterns").
    const changes = document.createElement("code");
    changes.className = "changes";
    changes.textContent = entry.reason || "(nothing changed)";
    item.append(": ", changes);
  } else if (entry.reason) {
    const reason = document.createElement("span");
    reason.className = "reason";
    reason.textContent = ` — “${entry.reason}”`;
    item.append(reason);
  }
  return item;
}

let nextBefore = null;

async function loadLog({ older = false } = {}) {
  const status = $("log-status");
  const list = $("log-entries");
  const url = new URL(`/api/v1/rooms/${encodeURIComponent(state.roomName)}/moderation-log`,
                      location.href);
  url.searchParams.set("limit", String(LOG_PAGE));
  if (older && nextBefore) url.searchParams.set("before", String(nextBefore));
  setResult(status, "Loading…", null);
  try {
    // credentials: "omit" so that a refusal never opens the browser's own login dialog.
    const response = await fetch(url, {
      headers: { Authorization: basicAuthorization(credentials), Accept: "application/json" },
      credentials: "omit",
      cache: "no-store",
    });
    if (!response.ok) {
      const text = (await response.text()).trim();
      setResult(status, `The log is not available: ${text || `HTTP ${response.status}`}.`, false);
      return;
    }
    const page = await response.json();
    if (!older) {
      list.replaceChildren();
      state.log = [];
    }
    state.log.push(...page.entries);
    list.append(...page.entries.map(logRow));
    nextBefore = page.next_before;
    state.logLoaded = true;
    state.logStale = false;
    const full = list.childElementCount >= MAX_LOG_ROWS;
    $("log-older").hidden = !nextBefore || full;
    setResult(status, list.childElementCount === 0 ? "Nothing logged yet."
      : `${list.childElementCount} entries, newest first${full ? " (the newest 500)" : ""}.`, null);
  } catch (error) {
    setResult(status, `The log is not available: ${error.message}`, false);
  }
}

// An action of ours changed the log: reload it now if it is on screen, else when it is next.
function logChanged() {
  state.logStale = true;
  if (!$("log").hidden) loadLog();
}

$("log-refresh").addEventListener("click", () => loadLog());
$("log-older").addEventListener("click", () => loadLog({ older: true }));

// --- signing in and out -----------------------------------------------------------------

function signedIn(on) {
  $("sign-in").hidden = on;
  $("desk").hidden = !on;
  $("sign-out").hidden = !on;
  $("who").hidden = !on;
}

function showRole() {
  $("who").textContent = `${credentials.jid} · ${myRole ?? "joining"}`;
  if (!myRole) return;
  if (myRole === "moderator") {
    setResult($("chat-status"), `You are ${state.nick}, a moderator.`, null);
  } else {
    setResult($("chat-status"), `You are ${state.nick}, a ${myRole} in this room: only ` +
      "moderators can remove messages or act on people, and the server will refuse.", false);
  }
}

// Once in the room: what the panel asks the room for.
function joinedRoom() {
  loadSettings();
  loadCount();
}

$("sign-in-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = readSignInForm(event.chat.domain);
  if (!form) return;
  const { username, domain, jid, password, error } = form;
  try {
    credentials = { username, password, jid };
    room = await joinRoom(
      { websocket: websocketUrl(event.chat.websocket_path), domain, room: event.chat.room,
        nick: username, username, password, history: 50 },
      {
        onMessage: chatList.add,
        onRetract: chatList.retract,
        onNotice: chatList.notice,
        onOccupant,
        onOccupants: showCount,
        onJoined: (nick, { role }) => {
          const first = myRole === null;
          myRole = role ?? "none";
          state.joined = true;
          state.nick = nick;
          state.role = myRole;
          showRole();
          if (first && room) joinedRoom();
        },
        onConfigChanged: () => {
          if (!settingsDirty) loadSettings();
        },
        onLeft: (reason) => {
          state.joined = false;
          setResult($("chat-status"), reason, false);
        },
        onStatus: (text) => setResult($("chat-status"), text, null),
      });
    state.room = room;
    $("password").value = "";
    signedIn(true);
    showRole();
    if (myRole !== null) joinedRoom();  // joined before joinRoom() returned
    focusRow(messagesEl);
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
  const leaving = room;
  room = null;
  credentials = null;  // the password goes with the sign-out
  myRole = null;
  state.room = null;
  state.joined = false;
  roster.clear();
  await leaving?.stop();
  location.reload();  // a clean page: nothing of the signed-in panel remains
});

// --- start ------------------------------------------------------------------------------

try {
  event = await loadEvent(slug);
  state.roomName = event.chat.room.slice(0, event.chat.room.indexOf("@"));
  document.title = `Moderate ${event.title} — throng`;
  $("title").textContent = event.title;
  $("watch-link").href = `/live/${encodeURIComponent(slug)}`;
  $("account").focus();
  state.ready = true;
} catch (error) {
  $("sign-in-error").textContent = error.message;
  $("sign-in-button").disabled = true;
  state.error = error.message;
}
