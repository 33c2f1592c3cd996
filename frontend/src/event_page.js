// What every event page (/live, /studio, /moderate/<event>) does the same way: its event's slug
// from its address, the event from the public API, and a status line that says ok or failed.

// "/studio/demo/" → "demo".
export function slugFromPath(prefix) {
  return decodeURIComponent(location.pathname.slice(prefix.length).replace(/\/$/, ""));
}

// GET /api/public/events/<slug>; an Error with a sentence for the page otherwise.
export async function loadEvent(slug) {
  const response = await fetch(`/api/public/events/${encodeURIComponent(slug)}`,
                               { headers: { Accept: "application/json" } });
  if (response.status === 404) throw new Error(`There is no event “${slug}”.`);
  if (!response.ok) throw new Error(`Could not load the event (HTTP ${response.status}).`);
  return response.json();
}

// A status line: `ok` true (green), false (red) or null (plain).
export function setResult(element, text, ok) {
  element.textContent = text;
  element.classList.toggle("ok", ok === true);
  element.classList.toggle("failed", ok === false);
}
