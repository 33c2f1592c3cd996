// A WHIP publisher (RFC 9725): one RTCPeerConnection sending a camera, a screen or any other
// MediaStream to throng. throng is ICE-lite and learns the browser's address from its
// connectivity checks, so the offer is sent at once, without waiting for candidates.
//
//   const live = await startWhip("/whip/demo", streamKey, mediaStream, { maxBitrate: 2_500_000 });
//   ... live.stats() ... await live.stop();
//
// VP8 is put first in the offer (every viewer's browser decodes it); throng answers with the
// codec of the event's current stream when the offer has it, so viewers keep watching.

export async function startWhip(endpoint, streamKey, media, { maxBitrate = 2_500_000,
                                                              onState = () => {} } = {}) {
  const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
  const senders = {};
  for (const track of media.getTracks()) {
    const transceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [media] });
    senders[track.kind] = transceiver.sender;
    if (track.kind === "video" && RTCRtpSender.getCapabilities) {
      const codecs = RTCRtpSender.getCapabilities("video").codecs;
      const rank = (c) => (c.mimeType === "video/VP8" ? 0 : c.mimeType === "video/H264" ? 1 : 2);
      transceiver.setCodecPreferences([...codecs].sort((a, b) => rank(a) - rank(b)));
    }
  }
  pc.onconnectionstatechange = () => onState(pc.connectionState);

  await pc.setLocalDescription(await pc.createOffer());
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/sdp", Authorization: `Bearer ${streamKey}` },
    body: pc.localDescription.sdp,
  });
  if (response.status !== 201) {
    pc.close();
    const reason = (await response.text()).trim();
    const error = new Error(`WHIP ${response.status}: ${reason}`);
    error.status = response.status;
    throw error;
  }
  const resource = new URL(response.headers.get("Location"), new URL(endpoint, location.href));
  await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
  if (senders.video) {
    const parameters = senders.video.getParameters();
    if (parameters.encodings?.length) {
      parameters.encodings[0].maxBitrate = maxBitrate;
      await senders.video.setParameters(parameters).catch(() => {});
    }
  }

  return {
    pc,
    resource: resource.href,
    senders,
    // Outbound counters and what throng's receiver reports said about them.
    async stats() {
      const out = { video: null, audio: null, remote: { video: null, audio: null } };
      (await pc.getStats()).forEach((report) => {
        if (report.kind !== "video" && report.kind !== "audio") return;
        if (report.type === "outbound-rtp") out[report.kind] = report;
        if (report.type === "remote-inbound-rtp") out.remote[report.kind] = report;
      });
      return out;
    },
    // Ends the session with a DELETE (RFC 9725 §4.3), then closes the connection. Closing
    // first sends a DTLS close_notify, on which throng ends the session at once, and the DELETE
    // that follows would find it gone (404). The answer's body is read, so that leaving the
    // page later does not abort its load; a server that does not answer in 2 s is not waited for.
    async stop() {
      const deleted = fetch(resource, { method: "DELETE" }).then((r) => r.text()).catch(() => {});
      await Promise.race([deleted, new Promise((r) => setTimeout(r, 2000))]);
      pc.close();
    },
  };
}
