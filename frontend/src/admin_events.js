// The dashboard's events panel: the list (with live state and viewers from /api/server), the
// form that creates an event, editing, deleting, and each event's stream key and WHIP URL with
// key rotation. Every change goes through the admin API; the server's validation messages
// ("<field>: ...") are shown next to their field.

const el = (tag, props = {}, ...children) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
};

// The API answers errors as text "<field>: <reason>"; the field tells where to show it.
export function fieldOf(message, fields) {
  const match = /^([a-z_]+): /.exec(message);
  return match && fields.includes(match[1]) ? match[1] : null;
}

export class EventsPanel {
  // `api(path, options)`: an authorized fetch returning JSON, throwing ApiError with .status
  // and .message (the server's text) on an error answer. `confirm(text, ok)`: a dialog.
  constructor({ list, status, form, api, confirm }) {
    Object.assign(this, { list, status, form, api, confirm });
    this.events = null;        // null until the first load, so that it always draws
    this.streams = new Map();  // slug → viewers, for events that are live
    this.open = new Map();     // slug → "edit" | "key": the panel shown under an event
    this.revealed = new Set(); // slugs whose stream key is shown in clear
    this.whip = { base: location.origin + "/", prefix: "/whip/" };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.create();
    });
  }

  setServer(server) {
    this.whip = { base: server.public_url, prefix: server.whip_path_prefix };
    this.streams = new Map(server.streams.map((s) => [s.slug, s.viewers]));
    for (const item of this.list.children) this.paintLive(item);
  }

  whipUrl(slug) {
    return new URL(this.whip.prefix + encodeURIComponent(slug), this.whip.base).href;
  }

  // Reloads the list. `force`: redraw even if an edit form is open (after own changes).
  async refresh(force = false) {
    const events = await this.api("/api/events");
    const changed = JSON.stringify(events) !== JSON.stringify(this.events);
    this.events = events;
    if (changed && (force || ![...this.open.values()].includes("edit"))) this.render();
  }

  render() {
    const focused = document.activeElement?.dataset?.focusKey;
    this.list.replaceChildren(...this.events.map((e) => this.item(e)));
    this.status.textContent = this.events.length === 0 ? "No events yet: create one below." : "";
    if (focused) this.list.querySelector(`[data-focus-key="${CSS.escape(focused)}"]`)?.focus();
  }

  paintLive(item) {
    const slug = item.dataset.slug;
    const viewers = this.streams.get(slug);
    const badge = item.querySelector(".badge");
    badge.textContent = viewers === undefined ? "offline" : "live";
    badge.className = `badge ${viewers === undefined ? "offline" : "live"}`;
    item.querySelector(".viewers").textContent =
      viewers === undefined ? "" : `${viewers} viewer${viewers === 1 ? "" : "s"}`;
  }

  item(event) {
    const slug = event.slug;
    const id = `event-${slug}`;
    const panel = this.open.get(slug);
    const toggle = (kind, label) => el("button", {
      type: "button", className: "secondary", textContent: label,
      onclick: () => this.toggle(slug, kind),
    });
    const edit = toggle("edit", "Edit");
    edit.dataset.focusKey = `${slug}/edit`;
    edit.setAttribute("aria-expanded", String(panel === "edit"));
    edit.setAttribute("aria-controls", `${id}-edit`);
    const key = toggle("key", "Stream key");
    key.dataset.focusKey = `${slug}/key`;
    key.setAttribute("aria-expanded", String(panel === "key"));
    key.setAttribute("aria-controls", `${id}-key`);
    const remove = el("button", { type: "button", className: "danger", textContent: "Delete",
                                  onclick: () => this.remove(event, remove) });
    remove.dataset.focusKey = `${slug}/delete`;

    const item = el("li", { className: "event-card", id },
      el("div", { className: "event-head" },
        el("h3", { textContent: event.title }),
        el("span", { className: "badge offline", textContent: "offline" }),
        el("span", { className: "viewers tag" })),
      el("p", { className: "slug" },
        el("span", { textContent: slug }), " · ",
        el("a", { href: new URL(`live/${encodeURIComponent(slug)}`, this.whip.base).href,
                  textContent: "watch page", target: "_blank", rel: "noopener" })),
      event.description ? el("p", { className: "description", textContent: event.description })
                        : null,
      el("div", { className: "actions" }, edit, key, remove),
      panel === "edit" ? this.editForm(event, `${id}-edit`) : null,
      panel === "key" ? this.keyPanel(event, `${id}-key`) : null);
    item.dataset.slug = slug;
    this.paintLive(item);
    return item;
  }

  toggle(slug, kind) {
    if (this.open.get(slug) === kind) this.open.delete(slug);
    else this.open.set(slug, kind);
    this.render();
    // Into the panel just opened, or back to its button.
    const item = this.list.querySelector(`[data-slug="${CSS.escape(slug)}"]`);
    const first = this.open.get(slug) &&
      item?.querySelector(".panel input, .panel textarea, .panel button");
    (first || item?.querySelector(`[data-focus-key="${CSS.escape(`${slug}/${kind}`)}"]`))?.focus();
  }

  editForm(event, id) {
    const title = el("input", { id: `${id}-title`, value: event.title, maxLength: 200,
                                autocomplete: "off", required: true });
    const description = el("textarea", { id: `${id}-description`, value: event.description,
                                         rows: 3 });
    const titleError = el("span", { id: `${id}-title-error`, className: "field-error" });
    const descriptionError = el("span", { id: `${id}-description-error`,
                                          className: "field-error" });
    const otherError = el("p", { className: "field-error" });
    for (const [input, error] of [[title, titleError], [description, descriptionError]]) {
      input.setAttribute("aria-describedby", error.id);
      error.setAttribute("role", "alert");
    }
    const form = el("form", { id, className: "panel edit", noValidate: true },
      el("div", { className: "field" },
        el("label", { htmlFor: title.id, textContent: "Title" }), title, titleError),
      el("div", { className: "field" },
        el("label", { htmlFor: description.id, textContent: "Description" }), description,
        descriptionError),
      otherError,
      el("div", { className: "actions" },
        el("button", { type: "submit", textContent: "Save" }),
        el("button", { type: "button", className: "secondary", textContent: "Cancel",
                       onclick: () => this.toggle(event.slug, "edit") })));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const errors = { title: [title, titleError], description: [description, descriptionError] };
      clearErrors(Object.values(errors), otherError);
      try {
        await this.api(`/api/events/${encodeURIComponent(event.slug)}`, {
          method: "PATCH", body: { title: title.value, description: description.value },
        });
        this.open.delete(event.slug);
        this.status.textContent = `Saved “${title.value}”.`;
        await this.refresh(true);
        this.list.querySelector(`[data-focus-key="${CSS.escape(`${event.slug}/edit`)}"]`)?.focus();
      } catch (error) {
        showError(error, errors, otherError);
      }
    });
    return form;
  }

  keyPanel(event, id) {
    const shown = this.revealed.has(event.slug);
    const key = el("input", { id: `${id}-value`, className: "mono key-value", readOnly: true,
                              value: event.stream_key, type: shown ? "text" : "password",
                              autocomplete: "off", spellcheck: false });
    const whip = el("input", { id: `${id}-whip`, className: "mono whip-url", readOnly: true,
                               value: this.whipUrl(event.slug), spellcheck: false });
    const said = el("p", { className: "help", role: "status" });
    const show = el("button", { type: "button", className: "secondary",
                                textContent: shown ? "Hide" : "Show" });
    show.setAttribute("aria-pressed", String(shown));
    show.onclick = () => {
      const now = key.type === "password";
      key.type = now ? "text" : "password";
      show.textContent = now ? "Hide" : "Show";
      show.setAttribute("aria-pressed", String(now));
      if (now) this.revealed.add(event.slug);
      else this.revealed.delete(event.slug);
    };
    const rotate = el("button", { type: "button", className: "danger", textContent: "Rotate key" });
    rotate.dataset.focusKey = `${event.slug}/rotate`;
    rotate.onclick = async () => {
      const ok = await this.confirm(
        `Rotate the stream key of “${event.title}”? A publisher using the old key cannot ` +
        "start again until it has the new one.", "Rotate key");
      if (!ok) return rotate.focus();
      try {
        await this.api(`/api/events/${encodeURIComponent(event.slug)}`, {
          method: "PATCH", body: { rotate_stream_key: true },
        });
        await this.refresh(true);
        const panel = document.getElementById(id);
        panel?.querySelector(".help").replaceChildren("New key made; the old one no longer works.");
        panel?.querySelector(`[data-focus-key]`)?.focus();
      } catch (error) {
        said.textContent = `Could not rotate the key: ${error.message}`;
      }
    };
    // A form only so that the masked key is a password field inside one; nothing submits it.
    return el("form", { id, className: "panel key", onsubmit: (e) => e.preventDefault() },
      el("div", { className: "field" },
        el("label", { htmlFor: key.id, textContent: "Stream key" }),
        el("div", { className: "copy-row" }, key, show, copyButton(key, said, "stream key"))),
      el("div", { className: "field" },
        el("label", { htmlFor: whip.id, textContent: "WHIP URL" }),
        el("div", { className: "copy-row" }, whip, copyButton(whip, said, "WHIP URL"))),
      el("div", { className: "actions" }, rotate),
      said);
  }

  async create() {
    const f = this.form.elements;
    const errors = {
      slug: [f.slug, document.getElementById("new-slug-error")],
      title: [f.title, document.getElementById("new-title-error")],
      description: [f.description, document.getElementById("new-description-error")],
    };
    const other = document.getElementById("create-error");
    clearErrors(Object.values(errors), other);
    const body = { slug: f.slug.value.trim(), title: f.title.value.trim(),
                   description: f.description.value };
    try {
      const created = await this.api("/api/events", { method: "POST", body });
      this.form.reset();
      this.status.textContent = `Created “${created.title}”. Its stream key is shown below it.`;
      this.open.set(created.slug, "key");
      await this.refresh(true);
      this.list.querySelector(`[data-focus-key="${CSS.escape(`${created.slug}/key`)}"]`)?.focus();
    } catch (error) {
      showError(error, errors, other);
    }
  }

  async remove(event, button) {
    const ok = await this.confirm(
      `Delete “${event.title}” (${event.slug})? Its page and stream key stop working.`,
      "Delete");
    if (!ok) return button.focus();
    try {
      await this.api(`/api/events/${encodeURIComponent(event.slug)}`, { method: "DELETE" });
      this.open.delete(event.slug);
      this.status.textContent = `Deleted “${event.title}”.`;
      await this.refresh(true);
      document.getElementById("new-slug").focus();
    } catch (error) {
      this.status.textContent = `Could not delete: ${error.message}`;
    }
  }
}

function clearErrors(pairs, other) {
  for (const [input, error] of pairs) {
    input.removeAttribute("aria-invalid");
    error.textContent = "";
  }
  other.textContent = "";
}

// The server's message next to its field (and the field focused), or below the form.
function showError(error, errors, other) {
  if (error.status === 401) return;  // signed out already
  const field = fieldOf(error.message, Object.keys(errors));
  if (field) {
    const [input, place] = errors[field];
    place.textContent = error.message.slice(field.length + 2);
    input.setAttribute("aria-invalid", "true");
    input.focus();
  } else {
    other.textContent = error.message;
  }
}

function copyButton(input, said, what) {
  return el("button", {
    type: "button", className: "secondary", textContent: "Copy",
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(input.value);
        said.textContent = `Copied the ${what}.`;
      } catch {
        // No clipboard (a page over plain HTTP on another host is not a secure context).
        if (input.type === "password") input.type = "text";
        input.focus();
        input.select();
        said.textContent = `The ${what} is selected: press Ctrl+C (⌘C) to copy it.`;
      }
    },
  });
}
