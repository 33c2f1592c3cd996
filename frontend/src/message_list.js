// A room's messages as a bounded list (the watch page and the moderation panel). The list
// keeps the newest messages only, so a busy room (50 messages a second) costs the page a
// bounded DOM and bounded work per message. New rows are added in batches, at most every
// `flushMs`: one layout read and one scroll per batch instead of per message (a chat at 50
// messages a second is not read message by message anyway). Each name has its XEP-0392 colour
// and a badge with its initials instead of an avatar: nothing is fetched per participant.
import { cachedColour, consistentColour, initials } from "./colour.js";

export const REMOVED_TEXT = "(removed by a moderator)";

// `list` is the <ol>. `decorate(item, message)` may add controls to a message's row;
// `onDropped(item)` runs when the bound trims a row off the list.
export function messageList(list, { max = 200, flushMs = 100, decorate, onDropped } = {}) {
  const byId = new Map();  // stanza-id → <li>, for moderation
  let pending = [];
  let flushTimer = null;

  function forget(item) {
    if (item.dataset.id) byId.delete(item.dataset.id);
    onDropped?.(item);
  }

  function append(item, id) {
    if (id) byId.set(id, item);
    pending.push(item);
    if (pending.length > max) {
      for (const dropped of pending.splice(0, pending.length - max)) forget(dropped);
    }
    flushTimer ??= setTimeout(flush, flushMs);
  }

  function flush() {
    flushTimer = null;
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const batch = document.createDocumentFragment();
    batch.append(...pending);
    pending = [];
    list.append(batch);
    for (let extra = list.childElementCount - max; extra > 0; extra -= 1) {
      const oldest = list.firstElementChild;
      forget(oldest);
      oldest.remove();
    }
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  return {
    byId,
    notice(text) {
      const item = document.createElement("li");
      item.className = "notice";
      item.textContent = text;
      append(item);
    },
    add(message) {
      const { id, nick, text } = message;
      const item = document.createElement("li");
      if (id) item.dataset.id = id;
      item.dataset.nick = nick;
      const badge = document.createElement("span");
      badge.className = "initials";
      badge.textContent = initials(nick);
      badge.setAttribute("aria-hidden", "true");
      const line = document.createElement("div");
      line.className = "line";
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
      decorate?.(item, message);
      append(item, id);
    },
    // A moderator's removal (XEP-0425): the text goes, the row stays as a marker. Returns
    // the row, or null when the message is not (or no longer) in the list.
    retract(id) {
      const item = byId.get(id);
      if (!item) return null;
      item.classList.add("removed");
      item.querySelector(".text").textContent = REMOVED_TEXT;
      return item;
    },
  };
}
