// A WHEP player (draft-ietf-wish-whep): one RTCPeerConnection receiving the event's video and
// audio from throng. throng is ICE-lite and learns the browser's address from its connectivity
// checks, so the offer is sent at once, without waiting for candidates.
//
//   const player = await startWhep(videoElement, "/whep/demo");
//   ... player.stats() ... await player.stop();
//
// player.missingVideo is null when video comes; otherwise the browser offered no format that
// carries the stream's video (throng does not transcode) and only the audio plays: it is then
// the format's name from the answer's i= line ("H.264 High profile"), or "" if none is given.
//
// When the stream is sent in several qualities (simulcast), the answer links to the session's
// layer resource (the layer extension of the early WHEP drafts): player.layers() says which
// there are and which one is forwarded, player.setLayer("l") pins one, setLayer("auto") lets
// throng choose from this connection's feedback again.

const LAYER_REL = "urn:ietf:params:whep:ext:core:layer";

// The target of the Link header's (RFC 8288) link with relation `rel`, resolved against `base`.
export function linkTarget(header, rel, base) {
  // A link is <target> followed by ;params; links are separated by commas, which may also
  // stand inside a quoted parameter value, so the header is read link by link.
  const link = /<([^>]*)>((?:\s*;\s*[^\s;=,]+(?:\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^;,]*))?)*)/g;
  const param = /;\s*([^\s;=,]+)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,]*)))?/g;
  for (const [, target, params] of (header ?? "").matchAll(link)) {
    for (const [, name, quoted, bare] of params.matchAll(param)) {
      if (name.toLowerCase() !== "rel") continue;
      const rels = (quoted ?? bare ?? "").trim().toLowerCase().split(/\s+/);
      if (rels.includes(rel)) return new URL(target, base).href;
    }
  }
  return null;
}

async function layerRequest(url, init) {
  const response = await fetch(url, { cache: "no-store", ...init });
  if (response.status !== 200) {
    const reason = (await response.text()).trim();
    const error = new Error(`layer ${response.status}: ${reason}`);
    error.status = response.status;
    throw error;
  }
  return response.json();
}

export async function startWhep(video, endpoint, { onState = () => {} } = {}) {
  const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
  pc.addTransceiver("video", { direction: "recvonly" });
  pc.addTransceiver("audio", { direction: "recvonly" });
  const stream = new MediaStream();
  pc.ontrack = (event) => {
    stream.addTrack(event.track);
    video.srcObject = stream;
  };
  pc.onconnectionstatechange = () => onState(pc.connectionState);

  await pc.setLocalDescription(await pc.createOffer());
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/sdp" },
    body: pc.localDescription.sdp,
  });
  if (response.status !== 201) {
    pc.close();
    const reason = (await response.text()).trim();
    const error = new Error(`WHEP ${response.status}: ${reason}`);
    error.status = response.status;
    error.retryAfter = Number(response.headers.get("Retry-After")) || 0;
    throw error;
  }
  const resource = new URL(response.headers.get("Location"), new URL(endpoint, location.href));
  const layerUrl = linkTarget(response.headers.get("Link"), LAYER_REL,
                              new URL(endpoint, location.href));
  const answer = await response.text();
  try {
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
  } catch (error) {
    // The server made a session for this answer: end it now rather than let it time out.
    pc.close();
    await fetch(resource, { method: "DELETE" }).catch(() => {});
    throw error;
  }

  return {
    pc,
    resource: resource.href,
    missingVideo: missingVideo(pc, answer),
    // The session's layer resource, or null when the server offers none.
    layerUrl,
    // {mode: "auto"|"manual", current, target, layers: [{encodingId, bitrate, width, height,
    // active}], lowest quality first; [] for a stream sent in one quality}.
    async layers() {
      if (!layerUrl) return { mode: "auto", current: null, target: null, layers: [] };
      return layerRequest(layerUrl);
    },
    // Pins a layer by its encodingId ("auto": throng chooses again); it is seen from the
    // layer's next keyframe. Resolves to the same answer as layers().
    async setLayer(encodingId, mediaId) {
      if (!layerUrl) throw new Error("this stream has no layers to choose from");
      return layerRequest(layerUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(mediaId === undefined ? { encodingId } : { encodingId, mediaId }),
      });
    },
    // Inbound video and audio counters from getStats() (what the tests and the stats line show),
    // and what the server's sender reports said (remote-outbound-rtp, RFC 3550 §6.4.1).
    async stats() {
      const out = { video: null, audio: null, sent: { video: null, audio: null } };
      (await pc.getStats()).forEach((report) => {
        if (report.kind !== "video" && report.kind !== "audio") return;
        if (report.type === "inbound-rtp") out[report.kind] = report;
        if (report.type === "remote-outbound-rtp") out.sent[report.kind] = report;
      });
      return out;
    },
    async stop() {
      pc.close();
      await fetch(resource, { method: "DELETE" }).catch(() => {});
    },
  };
}

// A video section the answer rejected or left inactive: throng then names the stream's format in
// the section's i= line (RFC 8866 §5.4, right after the m= line).
function missingVideo(pc, answer) {
  const video = pc.getTransceivers().find((t) => t.receiver.track.kind === "video");
  if (video?.currentDirection === "recvonly" || video?.currentDirection === "sendrecv") return null;
  return /^m=video [^\r\n]*\r?\ni=([^\r\n]*)/m.exec(answer)?.[1] ?? "";
}
