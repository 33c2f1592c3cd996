#!/usr/bin/python3
# A WHIP publisher (RFC 9725) that is not a browser: GStreamer's webrtcbin (Debian's
# gstreamer1.0-plugins-bad, driven through python3-gi) sends a test picture in H.264 and a tone
# in Opus to throng. Debian 12's GStreamer 1.22 has no whipsink, so this script does the WHIP
# part itself: it makes the offer, POSTs it with the stream key, applies the answer, and
# DELETEs the resource when it stops.
#
#   gst_whip_publisher.py --url http://127.0.0.1:8080/whip/demo   (stream key in WHIP_KEY)
#   gst_whip_publisher.py --check        exit 0 if every element is installed, else 77
#
# Lines on stdout tell the caller what happens ("offer", "answer 201", "answer applied",
# "connection-state connected", "stats ..."); the caller (tests/clients/whip_h264) waits on
# them. The script stops by itself after --duration seconds, on SIGTERM/SIGINT, or on the
# first error.
#
# Everything stays on loopback by default: libnice gathers no loopback candidates unless told
# to, so the ICE agent is given 127.0.0.1 as its only local address (--ice-address; throng on
# loopback answers with 127.0.0.1 too). --ice-address= publishes to a server elsewhere.
import argparse
import os
import re
import signal
import sys
import urllib.error
import urllib.parse
import urllib.request

ELEMENTS = ["videotestsrc", "audiotestsrc", "videoconvert", "audioconvert", "audioresample",
            "x264enc", "rtph264pay", "opusenc", "rtpopuspay", "webrtcbin", "nicesrc",
            "nicesink", "dtlssrtpenc", "dtlssrtpdec", "srtpenc", "srtpdec"]
EXIT_MISSING = 77  # what ctest and automake call "skipped"


def say(*words):
    print(*words, flush=True)


def keep_reference(gobject):
    """webrtcbin 1.22 keeps its ICE object with a floating reference, which the first Python
    wrapper sinks and then drops: the object would be freed under webrtcbin. One more
    reference, for webrtcbin, keeps it alive."""
    import ctypes
    capsule = ctypes.pythonapi.PyCapsule_GetPointer
    capsule.restype = ctypes.c_void_p
    capsule.argtypes = [ctypes.py_object, ctypes.c_char_p]
    g_object_ref = ctypes.CDLL("libgobject-2.0.so.0").g_object_ref
    g_object_ref.argtypes = [ctypes.c_void_p]
    g_object_ref.restype = ctypes.c_void_p
    if gobject.__grefcount__ == 1:
        g_object_ref(capsule(gobject.__gpointer__, None))


def parse_args():
    p = argparse.ArgumentParser(description="WHIP publisher of H.264 and Opus (GStreamer webrtcbin)")
    p.add_argument("--url", help="the WHIP endpoint, http://host:port/whip/<event>")
    p.add_argument("--check", action="store_true", help="only check the GStreamer elements")
    p.add_argument("--width", type=int, default=640)
    p.add_argument("--height", type=int, default=360)
    p.add_argument("--fps", type=int, default=30)
    p.add_argument("--bitrate-kbps", type=int, default=1000)
    p.add_argument("--key-int-max", type=int, default=60, help="frames between IDRs")
    p.add_argument("--bframes", type=int, default=0)
    p.add_argument("--profile", default="constrained-baseline",
                   help="constrained-baseline, baseline, main or high")
    p.add_argument("--speed-preset", default="ultrafast",
                   help="x264's; ultrafast turns off what High needs (8x8 transforms), so a "
                        "High stream needs a slower one")
    p.add_argument("--parameter-sets", choices=["every-idr", "once"], default="every-idr",
                   help="every-idr: SPS/PPS before each IDR (rtph264pay config-interval=-1); "
                        "once: with the first keyframe asked for, never again, not in the SDP")
    p.add_argument("--duration", type=float, default=120, help="seconds before stopping")
    p.add_argument("--ice-address", default="127.0.0.1",
                   help="the one local address ICE uses; empty: every interface but loopback")
    p.add_argument("--print-sdp", action="store_true")
    return p.parse_args()


def pipeline_description(a):
    # The H.264 settings a WebRTC viewer needs: no B-frames (unless asked for, to see what
    # throng does with them), an IDR every couple of seconds, packetization-mode=1 (FU-A).
    x264 = (f"x264enc tune=zerolatency speed-preset={a.speed_preset} bitrate={a.bitrate_kbps} "
            f"key-int-max={a.key_int_max} bframes={a.bframes}")
    if a.parameter_sets == "once":
        # x264 keeps SPS/PPS out of its frames, and the payloader sends them only before a
        # keyframe that was asked for with all headers, which main() lets happen once.
        x264 += ' option-string="repeat-headers=0"'
        pay = "rtph264pay name=pay config-interval=0 aggregate-mode=zero-latency pt=96"
    else:
        pay = "rtph264pay name=pay config-interval=-1 aggregate-mode=zero-latency pt=96"
    h264_caps = f"video/x-h264,profile={a.profile}"
    return (
        "webrtcbin name=whip bundle-policy=max-bundle "
        f"videotestsrc is-live=true pattern=ball ! "
        f"video/x-raw,width={a.width},height={a.height},framerate={a.fps}/1 ! videoconvert ! "
        f"{x264} name=x264 ! {h264_caps} ! {pay} ! "
        "application/x-rtp,media=video,encoding-name=H264,payload=96,clock-rate=90000 ! whip. "
        "audiotestsrc is-live=true wave=sine freq=440 volume=0.2 ! audioconvert ! "
        "audioresample ! audio/x-raw,rate=48000,channels=2 ! opusenc bitrate=64000 ! "
        "rtpopuspay pt=111 ! "
        "application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000 ! whip."
    )


def main():
    a = parse_args()
    import gi
    gi.require_version("Gst", "1.0")
    from gi.repository import Gst
    Gst.init(None)
    missing = [e for e in ELEMENTS if Gst.ElementFactory.find(e) is None]
    try:
        gi.require_version("GstWebRTC", "1.0")
        gi.require_version("GstSdp", "1.0")
        gi.require_version("GstVideo", "1.0")
        gi.require_version("Nice", "0.1")
    except ValueError as error:
        missing.append(f"typelib ({error})")
    if missing:
        say("missing GStreamer elements:", " ".join(missing))
        return EXIT_MISSING
    if a.check:
        say("GStreamer", Gst.version_string(), "has every element")
        return 0
    if not a.url:
        say("--url is required")
        return 2
    key = os.environ.get("WHIP_KEY", "")
    from gi.repository import GLib, GstSdp, GstVideo, GstWebRTC, Nice

    loop = GLib.MainLoop()
    state = {"resource": None, "exit": 0, "stopping": False, "negotiating": False,
             "waited_ms": 0, "headers_sent": False}
    pipeline = Gst.parse_launch(pipeline_description(a))
    webrtc = pipeline.get_by_name("whip")

    # libnice skips loopback interfaces when it picks local addresses itself; given one, it
    # uses only that.
    ice = webrtc.get_property("ice-agent")
    keep_reference(ice)
    if a.ice_address:
        address = Nice.Address.new()
        if not address.set_from_string(a.ice_address):
            say("--ice-address is not an IP address:", a.ice_address)
            return 2
        ice.get_property("agent").add_local_address(address)

    if a.parameter_sets == "once":
        # Keyframe requests from throng (PLI, which webrtcbin's RTP session turns into an
        # upstream force-key-unit event; RFC 5104 FIR would ask for all headers) are taken here
        # and sent on to x264: the first asking for all headers, so the payloader puts SPS/PPS
        # before that one IDR; later ones not, so their IDRs come bare.
        encoder_src = pipeline.get_by_name("x264").get_static_pad("src")

        def on_upstream(_pad, info):
            event = info.get_event()
            if not GstVideo.video_event_is_force_key_unit(event):
                return Gst.PadProbeReturn.OK
            _, _, _, count = GstVideo.video_event_parse_upstream_force_key_unit(event)
            all_headers = not state["headers_sent"]
            state["headers_sent"] = True
            say("keyframe request:", "with" if all_headers else "without", "parameter sets")
            encoder_src.send_event(GstVideo.video_event_new_upstream_force_key_unit(
                Gst.CLOCK_TIME_NONE, all_headers, count))
            return Gst.PadProbeReturn.DROP

        pipeline.get_by_name("pay").get_static_pad("src").add_probe(
            Gst.PadProbeType.EVENT_UPSTREAM, on_upstream)

    def stop(code):
        if state["stopping"]:
            return
        state["stopping"] = True
        state["exit"] = code
        if state["resource"]:
            try:
                request = urllib.request.Request(state["resource"], method="DELETE")
                with urllib.request.urlopen(request, timeout=5) as response:
                    say("delete", response.status)
            except (urllib.error.URLError, OSError) as error:
                say("delete failed:", error)
        pipeline.set_state(Gst.State.NULL)
        loop.quit()

    def post_offer(offer_text):
        if a.print_sdp:
            say("offer sdp:\n" + offer_text)
        request = urllib.request.Request(a.url, data=offer_text.encode(), method="POST",
                                         headers={"Content-Type": "application/sdp",
                                                  "Authorization": f"Bearer {key}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
                location = response.headers.get("Location")
                answer_text = response.read().decode()
        except urllib.error.HTTPError as error:
            say("answer", error.code, error.read().decode().strip())
            stop(1)
            return False
        except (urllib.error.URLError, OSError) as error:
            say("POST failed:", error)
            stop(1)
            return False
        say("answer", status)
        if a.print_sdp:
            say("answer sdp:\n" + answer_text)
        if status != 201 or not location:
            stop(1)
            return False
        state["resource"] = urllib.parse.urljoin(a.url, location)
        result, message = GstSdp.SDPMessage.new_from_text(answer_text)
        if result != GstSdp.SDPResult.OK:
            say("the answer does not parse")
            stop(1)
            return False
        answer = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.ANSWER, message)
        webrtc.emit("set-remote-description", answer,
                    Gst.Promise.new_with_change_func(on_answer_applied, None))
        return False

    def on_answer_applied(promise, _):
        reply = promise.get_reply()
        if reply is not None and reply.has_field("error"):
            say("webrtcbin refused the answer:", reply.to_string())
            GLib.idle_add(stop, 1)
        else:
            say("answer applied")

    def on_offer(promise, _):
        promise.wait()
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply else None
        if offer is None:
            say("webrtcbin made no offer")
            GLib.idle_add(stop, 1)
            return
        webrtc.emit("set-local-description", offer, None)
        say("offer")
        # throng is ICE-lite and learns our address from our checks: no need to wait for
        # candidates before posting (RFC 9725 §4.1 allows either).
        text = offer.sdp.as_text()
        if a.parameter_sets == "once":
            # Nor in the SDP (RFC 6184 §8.1 sprop-parameter-sets, which a receiver may use):
            # one keyframe is the only place the parameter sets are.
            text = re.sub(r"sprop-parameter-sets=[^;\r\n]*;?", "", text)
        GLib.idle_add(post_offer, text)

    def media_caps_known():
        # webrtcbin writes each section's a=fmtp from the caps on its sink pad. rtph264pay
        # completes its caps (packetization-mode, profile-level-id) only once it has seen the
        # stream's SPS; an offer made sooner has a bare rtpmap, and throng rightly refuses
        # H.264 without packetization-mode=1 (RFC 6184 §6.3: FU-A needs it).
        def complete(pad):
            caps = pad.get_current_caps()
            if caps is None or caps.is_empty():
                return False
            s = caps.get_structure(0)
            return s.get_string("encoding-name") != "H264" or s.has_field("profile-level-id")
        pads = list(webrtc.sinkpads)
        return bool(pads) and all(complete(p) for p in pads)

    def make_offer():
        # We only send (RFC 9725 §4.2: a publisher's sections are sendonly).
        index = 0
        while True:
            transceiver = webrtc.emit("get-transceiver", index)
            if transceiver is None:
                break
            transceiver.set_property("direction",
                                     GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
            index += 1
        promise = Gst.Promise.new_with_change_func(on_offer, None)
        webrtc.emit("create-offer", None, promise)

    def offer_when_ready():
        if state["stopping"]:
            return False
        if not media_caps_known() and state["waited_ms"] < 10_000:
            state["waited_ms"] += 50
            return True
        if state["waited_ms"] >= 10_000:
            say("the media caps did not arrive in 10 s; offering anyway")
        make_offer()
        return False

    def on_negotiation_needed(_element):
        # WHIP has one offer and one answer, no renegotiation (RFC 9725 §4.2); webrtcbin asks
        # again when the answer rejects a section, and a second offer would not be heard.
        if state["negotiating"]:
            say("negotiation-needed again: ignored")
            return
        state["negotiating"] = True
        GLib.timeout_add(50, offer_when_ready)

    def on_state(element, spec):
        say(spec.name, element.get_property(spec.name).value_nick)

    def on_stats(promise, _):
        reply = promise.get_reply()
        if reply is None:
            return
        words = []

        def each(_field, value, *_):
            # One structure per stats object, named by its type; the sender's own counters.
            if isinstance(value, Gst.Structure) and value.get_name() == "outbound-rtp":
                fields = [f"{name}={value.get_value(name)}" for name in
                          ("ssrc", "packets-sent", "pli-count", "fir-count", "nack-count")
                          if value.has_field(name)]
                words.append(" ".join(fields))
            return True

        reply.foreach(each, None)
        say("stats", "; ".join(words))

    def poll_stats():
        if state["stopping"]:
            return False
        webrtc.emit("get-stats", None, Gst.Promise.new_with_change_func(on_stats, None))
        return True

    def on_message(_, message):
        if message.type == Gst.MessageType.ERROR:
            error, debug = message.parse_error()
            say("error:", error.message, debug or "")
            stop(1)
        elif message.type == Gst.MessageType.WARNING:
            warning, _ = message.parse_warning()
            say("warning:", warning.message)

    webrtc.connect("on-negotiation-needed", on_negotiation_needed)
    webrtc.connect("notify::connection-state", on_state)
    webrtc.connect("notify::ice-connection-state", on_state)
    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signum, lambda: stop(0) or False)
    GLib.timeout_add(int(a.duration * 1000), lambda: stop(0) or False)
    GLib.timeout_add(2000, poll_stats)

    if pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        say("the pipeline does not start")
        return 1
    say("pipeline", pipeline_description(a))
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    say("stopped", state["exit"])
    return state["exit"]


if __name__ == "__main__":
    sys.exit(main())
