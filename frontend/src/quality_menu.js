// The watch page's Quality menu: when the streamer sends several qualities (simulcast), the
// viewer keeps throng's automatic choice ("Auto", chosen from this connection's feedback) or
// pins one layer. It reads and sets the WHEP session's layer resource through the player
// (web/whep-player.js: layers(), setLayer()). Hidden while the stream has a single layer.

// The menu is read again this long after a change of picture size (the video's resize event
// comes at every layer switch; a burst of them makes one request).
const RESIZE_SETTLE_MS = 300;
// A session that is not connected yet is asked again this much later.
const CONNECTING_RETRY_MS = 1000;
// A layer that has not started yet (the streamer's browser adds its larger layers as its
// bandwidth estimate grows), or whose size is not known yet, is looked at again this much
// later, a few times.
const SETTLE_RETRY_MS = 3000;
const SETTLE_RETRIES = 5;

// "720p", or the layer's encodingId when its size is unknown (H.264 layers: width/height 0).
export function layerLabel(layer) {
  return layer.height > 0 ? `${layer.height}p` : layer.encodingId;
}

// box: the element shown or hidden (it holds the select and its label); select: the <select>;
// player(): the current WHEP player (a new one after a reconnection), or null; video: the
// <video> it plays into.
export function qualityMenu({ box, select, video, player }) {
  let reads = 0;        // GETs started: an answer older than the latest is dropped
  let wanted = null;    // the viewer's latest choice, not yet confirmed by the server
  let choosing = false; // a POST is under way (they are sent one at a time, in order)
  let resizeTimer = null;
  let settleTimer = null;
  let settleRetries = 0;

  function hide() {
    box.hidden = true;
  }

  function render(answer) {
    const layers = Array.isArray(answer?.layers) ? answer.layers : [];
    if (layers.length === 0) {
      hide();
      return;
    }
    const byId = new Map(layers.map((l) => [l.encodingId, l]));
    const current = byId.get(answer.current);
    const auto = answer.mode !== "manual";
    const selected = auto ? "auto" : (answer.target ?? answer.current ?? "auto");
    // Highest quality first, as menus of video players list them.
    const options = [{ value: "auto", label: auto && current ? `Auto (${layerLabel(current)})`
                                                             : "Auto", disabled: false }];
    for (const layer of [...layers].reverse()) {
      options.push({ value: layer.encodingId, label: layerLabel(layer),
                     disabled: layer.active === false && layer.encodingId !== selected });
    }
    // The options are changed in place when the same layers are listed, so that a menu the
    // viewer has open is not closed under their pointer.
    const same = select.options.length === options.length &&
                 options.every((o, i) => select.options[i].value === o.value);
    if (!same) {
      select.replaceChildren(...options.map((o) => new Option(o.label, o.value)));
    }
    options.forEach((o, i) => {
      const option = select.options[i];
      if (option.textContent !== o.label) option.textContent = o.label;
      option.disabled = o.disabled;
    });
    if (wanted === null) select.value = selected;
    // What is on screen while a pinned layer waits for its keyframe.
    select.title = current ? `Showing ${layerLabel(current)}` : "";
    box.hidden = false;
    const unsettled = layers.some((l) => l.active === false || !(l.height > 0));
    if (unsettled && settleRetries < SETTLE_RETRIES) {
      settleRetries += 1;
      clearTimeout(settleTimer);
      settleTimer = setTimeout(read, SETTLE_RETRY_MS);
    }
  }

  // Asked from outside (a new session, the stream live again, focus, a new picture size):
  // the layers may have changed, so they get their settling reads again.
  function refresh() {
    settleRetries = 0;
    return read();
  }

  async function read() {
    const p = player();
    if (!p?.layerUrl) {
      hide();
      return;
    }
    // Until the connection is up throng has no layer to tell of (it answers 409): the page
    // refreshes the menu again when it connects.
    if (p.pc.connectionState !== "connected") return;
    const read = ++reads;
    try {
      const answer = await p.layers();
      if (read === reads && !choosing && p === player()) render(answer);
    } catch (error) {
      // 404: the session is gone (a new one is on its way); 409: not connected yet after all;
      // anything else: the menu stays as it was and the next refresh tries again.
      if (error.status === 404 && read === reads) hide();
      if (error.status === 409) setTimeout(read, CONNECTING_RETRY_MS);
    }
  }

  // The viewer's choices go out one at a time and only the latest counts: arrow keys through
  // the menu make at most one request in flight and one waiting.
  async function choose(value) {
    wanted = value;
    if (choosing) return;
    choosing = true;
    let failure = null;
    try {
      while (wanted !== null) {
        const next = wanted;
        const p = player();
        if (!p?.layerUrl) break;
        let answer;
        try {
          answer = await p.setLayer(next);
        } catch (error) {
          failure = error;
          break;
        }
        if (wanted === next) {
          wanted = null;
          render(answer);
        }
      }
    } finally {
      wanted = null;
      choosing = false;
    }
    if (failure) {
      // The menu shows what the server has again, and says why the choice did not hold.
      await refresh();
      select.title = `Could not change the quality: ${failure.message}`;
    }
  }

  select.addEventListener("change", () => choose(select.value));
  select.addEventListener("focus", refresh);
  video.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(refresh, RESIZE_SETTLE_MS);
  });
  hide();
  return { refresh };
}
