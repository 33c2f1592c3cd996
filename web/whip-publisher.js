// A WHIP publisher (RFC 9725): one RTCPeerConnection sending a camera, a screen or any other
// MediaStream to throng. throng is ICE-lite and learns the browser's address from its
// connectivity checks, so the offer is sent at once, without waiting for candidates.
//
//   const live = await startWhip("/whip/demo", streamKey, mediaStream, { maxBitrate: 2_500_000 });
//   ... live.stats() ... await live.stop();
//
// VP8 is put first in the offer (every viewer's browser decodes it); throng answers with the
// codec of the event's current stream when the offer has it, so viewers keep watching.
//
// With { simulcast: true } the video is sent three times (RFC 8853 simulcast, one RTP stream
// per rid): a quarter of the picture, half of it and all of it. throng forwards to each viewer
// the one its connection carries, or the one the viewer picked.

// Lowest first, as the offer's a=simulcast lists them. The two small layers' bitrates are what
// VP8 needs for a clean 320x180 and 640x360 at 30 fps.
const SIMULCAST_LAYERS = [
  { rid: "l", scaleResolutionDownBy: 4, maxBitrate: 200_000 },
  { rid: "m", scaleResolutionDownBy: 2, maxBitrate: 700_000 },
  { rid: "h" },
];

export async function startWhip(endpoint, streamKey, media, { maxBitrate = 2_500_000,
                                                              simulcast = false,
                                                              onState = () => {} } = {}) {
  const pc = new RTCPeerConnection({ bundlePolicy: "max-bundle" });
  const senders = {};
  for (const track of media.getTracks()) {
    const init = { direction: "sendonly", streams: [media] };
    if (simulcast && track.kind === "video") {
      init.sendEncodings = SIMULCAST_LAYERS.map((layer) => ({ maxBitrate, ...layer }));
    }
    const transceiver = pc.addTransceiver(track, init);
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
  const answer = await response.text();
  await pc.setRemoteDescription({ type: "answer", sdp: answer });
  // A server that does not take simulcast answers without a=simulcast (RFC 8853 §5.3); the
  // browser then sends only the first encoding, the smallest layer, which is made the whole
  // picture again.
  const simulcastTaken = Boolean(senders.video) && simulcast && /^a=simulcast:/m.test(answer);
  if (senders.video && !simulcastTaken) {
    const parameters = senders.video.getParameters();
    if (parameters.encodings?.length) {
      parameters.encodings[0].maxBitrate = maxBitrate;
      if (simulcast) parameters.encodings[0].scaleResolutionDownBy = 1;
      await senders.video.setParameters(parameters).catch(() => {});
    }
  }

  return {
    pc,
    resource: resource.href,
    senders,
    // Whether the video goes out in three layers (asked for, and the server took them).
    simulcast: simulcastTaken,
    // Outbound counters and what throng's receiver reports said about them. With simulcast,
    // `videoLayers` has one outbound-rtp per rid, lowest first, and `video` is the largest
    // picture sent.
    async stats() {
      const out = { video: null, audio: null, videoLayers: [],
                    remote: { video: null, audio: null } };
      (await pc.getStats()).forEach((report) => {
        if (report.kind !== "video" && report.kind !== "audio") return;
        if (report.type === "outbound-rtp") {
          if (report.kind === "video") out.videoLayers.push(report);
          else out.audio = report;
        }
        if (report.type === "remote-inbound-rtp") out.remote[report.kind] = report;
      });
      const order = (r) => SIMULCAST_LAYERS.findIndex((layer) => layer.rid === r.rid);
      out.videoLayers.sort((a, b) => order(a) - order(b));
      for (const layer of out.videoLayers) {
        if (!out.video || (layer.frameWidth ?? 0) > (out.video.frameWidth ?? 0)) out.video = layer;
      }
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
