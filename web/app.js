// The landing page: lists the server's events from the public API.
"use strict";

async function loadEvents() {
  const status = document.getElementById("status");
  const list = document.getElementById("events");
  try {
    const response = await fetch("/api/public/events", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const events = await response.json();
    list.replaceChildren(...events.map(renderEvent));
    status.textContent = events.length === 0 ? "No events yet." : "";
  } catch (error) {
    status.textContent = `Could not load events (${error.message}).`;
  }
}

function renderEvent(event) {
  const item = document.createElement("li");
  const title = document.createElement("h3");
  title.textContent = event.title;
  const slug = document.createElement("span");
  slug.className = "slug";
  slug.textContent = `/live/${event.slug}`;
  const description = document.createElement("p");
  description.textContent = event.description;
  // The watch page: the player and the chat; it says so if the event is not live.
  const watch = document.createElement("a");
  watch.href = `/live/${encodeURIComponent(event.slug)}`;
  watch.className = "watch";
  watch.textContent = "Watch";
  item.append(title, slug, description, watch);
  return item;
}

loadEvents();
