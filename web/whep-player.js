// A WHEP player (draft-ietf-wish-whep): one RTCPeerConnection receiving the event's video and
// audio from throng. throng is ICE-lite and learns the browser's address from its connectivity
// checks, so the offer is sent at once, without waiting for candidates.
//
//   const player = await startWhep(videoElement, "/whep/demo");
//   ... player.stats() ... await player.stop();

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
  await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });

  return {
    pc,
    resource: resource.href,
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
