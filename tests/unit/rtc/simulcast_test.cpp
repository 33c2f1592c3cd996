// Simulcast (RFC 8853) from the SDP to the viewer: the rids of a=simulcast, the answer to
// Chromium's simulcast WHIP offer, VP8 payload descriptors (picture ids, keyframe sizes), the
// stream's per-layer numbering and keyframe requests, the per-viewer forwarder that renumbers a
// switch away, and the chooser that picks a viewer's layer from its feedback.
#include "media/payload_inspect.h"
#include "rtc/layer_chooser.h"
#include "rtc/layer_forwarder.h"
#include "rtc/media_stream.h"
#include "rtc/sdp_answer.h"
#include "rtc/simulcast.h"

#include "sample_offers.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace throng::rtc {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(SimulcastRids, SendListFirstAlternativesPausedMarksDropped) {
  EXPECT_EQ(simulcastSendRids("send l;m;h"), (std::vector<std::string>{"l", "m", "h"}));
  EXPECT_EQ(simulcastSendRids("recv x send 1,2;~3"), (std::vector<std::string>{"1", "3"}));
  EXPECT_EQ(simulcastSendRids("SEND q;h;f"), (std::vector<std::string>{"q", "h", "f"}));
  EXPECT_TRUE(simulcastSendRids("recv l;m").empty());
  EXPECT_TRUE(simulcastSendRids("send").empty());
  EXPECT_TRUE(simulcastSendRids("send l;;h").empty());         // an empty stream
  EXPECT_TRUE(simulcastSendRids("send l;m$;h").empty());       // not a rid-id character
  EXPECT_EQ(simulcastSendRids("send a;b;c;d;e;f").size(), kMaxSimulcastLayers);
}

OutgoingTrack accepted(MediaKind kind, std::string codec, std::uint32_t clock_rate, int channels) {
  OutgoingTrack track;
  track.kind = kind;
  track.codec = std::move(codec);
  track.clock_rate = clock_rate;
  track.channels = channels;
  return track;
}

AnswerParams publisherParams() {
  AnswerParams p;
  p.ice_ufrag = "whip";
  p.ice_pwd = "0123456789abcdef0123456789abcdef";
  p.fingerprint_sha256 =
      "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:"
      "88:99";
  p.candidates = {boost::asio::ip::udp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 4000)};
  p.tracks = {accepted(MediaKind::kVideo, "VP8", 90000, 1),
              accepted(MediaKind::kVideo, "H264", 90000, 1),
              accepted(MediaKind::kAudio, "opus", 48000, 2)};
  p.cname = "throng";
  p.session_id = 7;
  return p;
}

bool has(const std::string& sdp, std::string_view line) {
  return sdp.find(std::string(line) + "\r\n") != std::string::npos;
}

TEST(SimulcastAnswer, ChromiumsThreeEncodingsAreReceivedWithTheirRids) {
  auto result = answerPublisherOffer(test::crlf(test::kChromeSimulcastWhipOffer), publisherParams());
  ASSERT_TRUE(std::holds_alternative<SdpAnswer>(result)) << std::get<OfferProblem>(result).reason;
  const auto& answer = std::get<SdpAnswer>(result);
  const auto& video = answer.media[0];
  EXPECT_EQ(video.kind, MediaKind::kVideo);
  EXPECT_EQ(video.rids, (std::vector<std::string>{"l", "m", "h"}));
  EXPECT_EQ(video.rid_extension, 10);
  EXPECT_EQ(video.mid_extension, 9);
  EXPECT_TRUE(answer.media[1].rids.empty());  // audio
  const std::string& sdp = answer.sdp;
  EXPECT_TRUE(has(sdp, "a=extmap:9 urn:ietf:params:rtp-hdrext:sdes:mid")) << sdp;
  EXPECT_TRUE(has(sdp, "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id")) << sdp;
  EXPECT_TRUE(has(sdp, "a=rid:l recv"));
  EXPECT_TRUE(has(sdp, "a=rid:m recv"));
  EXPECT_TRUE(has(sdp, "a=rid:h recv"));
  EXPECT_TRUE(has(sdp, "a=simulcast:recv l;m;h"));
  // The answer parses, and its simulcast reads back as the offer's with the direction turned.
  auto parsed = parseSdp(sdp);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->media[0].simulcast, "recv l;m;h");
  EXPECT_EQ(parsed->media[0].rids.size(), 3u);
}

TEST(SimulcastAnswer, WithoutTheRidExtensionSimulcastIsDeclined) {
  const std::string offer =
      test::replaced(test::crlf(test::kChromeSimulcastWhipOffer),
                     "a=extmap:10 urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n", "");
  auto result = answerPublisherOffer(offer, publisherParams());
  ASSERT_TRUE(std::holds_alternative<SdpAnswer>(result));
  const auto& answer = std::get<SdpAnswer>(result);
  EXPECT_TRUE(answer.media[0].rids.empty());
  EXPECT_EQ(answer.sdp.find("a=simulcast"), std::string::npos);
  EXPECT_EQ(answer.sdp.find("a=rid:"), std::string::npos);
}

TEST(SimulcastAnswer, RidsWithoutTheirARidLinesAreNotTaken) {
  // a=simulcast names "x", which has no a=rid line: only l and h remain.
  std::string offer = test::replaced(test::crlf(test::kChromeSimulcastWhipOffer),
                                     "a=simulcast:send l;m;h", "a=simulcast:send l;x;h");
  auto result = answerPublisherOffer(offer, publisherParams());
  ASSERT_TRUE(std::holds_alternative<SdpAnswer>(result));
  EXPECT_EQ(std::get<SdpAnswer>(result).media[0].rids, (std::vector<std::string>{"l", "h"}));
}

// A VP8 payload descriptor with a 15-bit picture id and TL0PICIDX (RFC 7741 §4.2), then the
// first bytes of a keyframe of `width`×`height` (RFC 6386 §9.1) or of a delta frame.
std::vector<std::uint8_t> vp8Packet(std::uint16_t picture_id, std::uint8_t tl0, bool keyframe,
                                    int width = 640, int height = 360) {
  std::vector<std::uint8_t> p = {0x90, 0xc0, static_cast<std::uint8_t>(0x80 | (picture_id >> 8)),
                                 static_cast<std::uint8_t>(picture_id & 0xff), tl0};
  if (keyframe) {
    p.insert(p.end(), {0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, static_cast<std::uint8_t>(width & 0xff),
                       static_cast<std::uint8_t>(width >> 8), static_cast<std::uint8_t>(height & 0xff),
                       static_cast<std::uint8_t>(height >> 8)});
  } else {
    p.insert(p.end(), {0x31, 0x02, 0x00, 0x11});
  }
  return p;
}

TEST(Vp8Descriptor, PictureIdAndTl0AreFoundAndRewritten) {
  auto bytes = vp8Packet(0x1234, 7, true);
  const auto d = media::parseVp8Descriptor(bytes);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->size, 5u);
  EXPECT_TRUE(d->long_picture_id);
  EXPECT_EQ(*d->picture_id, 0x1234);
  EXPECT_EQ(*d->tl0_pic_idx, 7);
  media::writeVp8PictureId(bytes, *d, 0x7fff);
  media::writeVp8Tl0PicIdx(bytes, *d, 200);
  const auto again = media::parseVp8Descriptor(bytes);
  EXPECT_EQ(*again->picture_id, 0x7fff);
  EXPECT_EQ(*again->tl0_pic_idx, 200);
  const auto size = media::vp8KeyframeSize(bytes);
  ASSERT_TRUE(size);
  EXPECT_EQ(size->width, 640);
  EXPECT_EQ(size->height, 360);
  EXPECT_FALSE(media::vp8KeyframeSize(vp8Packet(1, 1, false)));
  // Truncated descriptors are refused, never read past.
  for (std::size_t n = 0; n < 5; ++n) {
    EXPECT_FALSE(media::parseVp8Descriptor(std::span<const std::uint8_t>(bytes.data(), n)))
        << n;
  }
}

MediaPacket packet(int layer, std::uint16_t sequence, bool keyframe_start) {
  MediaPacket p;
  p.layer = layer;
  p.sequence = sequence;
  p.keyframe_start = keyframe_start;
  return p;
}

// The packet as the stream publishes it: its VP8 descriptor read once (MediaStream::publish).
MediaPacket withVp8(MediaPacket p, const std::vector<std::uint8_t>& payload) {
  p.vp8 = media::parseVp8Descriptor(payload);
  return p;
}

TEST(LayerForwarder, FirstLayerKeepsTheStreamsNumbersFromItsFirstKeyframe) {
  LayerForwarder f;
  EXPECT_FALSE(f.forward(withVp8(packet(0, 100, false), vp8Packet(10, 1, false))));  // before a keyframe
  auto first = f.forward(withVp8(packet(0, 101, true), vp8Packet(11, 2, true)));
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, LayerForwarder::Rewrite{});
  EXPECT_EQ(f.current(), 0);
  EXPECT_FALSE(f.forward(withVp8(packet(1, 5000, true), vp8Packet(900, 9, true))));  // another layer
  EXPECT_EQ(f.switches(), 0u);
}

TEST(LayerForwarder, ASwitchWaitsForAKeyframeAndContinuesEveryNumber) {
  LayerForwarder f;
  ASSERT_TRUE(f.forward(withVp8(packet(0, 100, true), vp8Packet(10, 1, true))));
  ASSERT_TRUE(f.forward(withVp8(packet(0, 101, false), vp8Packet(11, 1, false))));
  f.setTarget(2);
  EXPECT_TRUE(f.switching());
  // The new layer's delta frames are not sent; the old layer goes on until the keyframe.
  EXPECT_FALSE(f.forward(withVp8(packet(2, 7000, false), vp8Packet(500, 40, false))));
  ASSERT_TRUE(f.forward(withVp8(packet(0, 102, false), vp8Packet(12, 1, false))));
  auto rewrite = f.forward(withVp8(packet(2, 7001, true), vp8Packet(501, 41, true)));
  ASSERT_TRUE(rewrite);
  EXPECT_EQ(f.current(), 2);
  EXPECT_FALSE(f.switching());
  EXPECT_EQ(f.switches(), 1u);
  EXPECT_EQ(static_cast<std::uint16_t>(7001 + rewrite->sequence), 103);  // right after 102
  EXPECT_EQ(static_cast<std::uint16_t>((501 + rewrite->picture_id) & 0x7fff), 13);  // after 12
  EXPECT_EQ(static_cast<std::uint8_t>(41 + rewrite->tl0_pic_idx), 2);
  // The old layer is not sent any more, nor the new one's packets from before the switch.
  EXPECT_FALSE(f.forward(withVp8(packet(0, 103, false), vp8Packet(13, 1, false))));
  EXPECT_FALSE(f.forward(withVp8(packet(2, 7000, false), vp8Packet(500, 40, false))));
  auto next = f.forward(withVp8(packet(2, 7002, false), vp8Packet(502, 41, false)));
  ASSERT_TRUE(next);
  EXPECT_EQ(static_cast<std::uint16_t>(7002 + next->sequence), 104);

  // NACKs name the viewer's numbers: each maps back to the layer and packet it was.
  auto before = f.sourceOf(101);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->layer, 0);
  EXPECT_EQ(before->sequence, 101);
  auto after = f.sourceOf(104);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->layer, 2);
  EXPECT_EQ(after->sequence, 7002);
  EXPECT_EQ(after->rewrite, *next);
  EXPECT_FALSE(f.sourceOf(50));  // before the first layer started
}

TEST(LayerForwarder, NumbersWrapAcrossSwitches) {
  LayerForwarder f;
  ASSERT_TRUE(f.forward(withVp8(packet(0, 65535, true), vp8Packet(0x7fff, 255, true))));
  f.setTarget(1);
  auto rewrite = f.forward(withVp8(packet(1, 10, true), vp8Packet(3, 0, true)));
  ASSERT_TRUE(rewrite);
  EXPECT_EQ(static_cast<std::uint16_t>(10 + rewrite->sequence), 0);
  EXPECT_EQ((3 + rewrite->picture_id) & 0x7fff, 0);
  EXPECT_EQ(static_cast<std::uint8_t>(0 + rewrite->tl0_pic_idx), 0);
  // Back to layer 0, which went on meanwhile.
  f.setTarget(0);
  auto back = f.forward(withVp8(packet(0, 200, true), vp8Packet(100, 30, true)));
  ASSERT_TRUE(back);
  EXPECT_EQ(static_cast<std::uint16_t>(200 + back->sequence), 1);
  EXPECT_EQ(f.switches(), 2u);
}

std::vector<LayerView> threeLayers(bool top_active = true) {
  std::vector<LayerView> layers(3);
  const char* rids[] = {"l", "m", "h"};
  const std::uint64_t bitrates[] = {150'000, 600'000, 2'500'000};
  const int heights[] = {180, 360, 720};
  for (int i = 0; i < 3; ++i) {
    layers[i].layer = i;
    layers[i].rid = rids[i];
    layers[i].bitrate_bps = bitrates[i];
    layers[i].height = heights[i];
    layers[i].width = heights[i] * 16 / 9;
    layers[i].active = true;
  }
  layers[2].active = top_active;
  return layers;
}

TEST(LayerChooser, StartsUnderTheBudgetThenStepsUpAfterAQuietHold) {
  const auto t0 = Clock::now();
  LayerChooser chooser(t0);
  const auto layers = threeLayers();
  EXPECT_EQ(chooser.choose(layers, -1, t0), 1);  // 600 kb/s: the best under 1.5 Mb/s
  EXPECT_EQ(chooser.choose(layers, 1, t0 + seconds(2)), 1);
  chooser.onReceiverReport(0, t0 + seconds(3));
  EXPECT_EQ(chooser.choose(layers, 1, t0 + LayerChooser::kMinHold + milliseconds(10)), 2);
}

TEST(LayerChooser, HighLossStepsDownAndAFailedStepUpDoublesTheHold) {
  const auto t0 = Clock::now();
  LayerChooser chooser(t0);
  const auto layers = threeLayers();
  ASSERT_EQ(chooser.choose(layers, -1, t0), 1);
  auto t = t0 + seconds(5);
  ASSERT_EQ(chooser.choose(layers, 1, t), 2);  // step up
  chooser.onReceiverReport(64, t + seconds(2));  // 25 % lost on the new layer
  EXPECT_EQ(chooser.choose(layers, 2, t + seconds(2)), 1);
  EXPECT_EQ(chooser.hold(), 2 * LayerChooser::kMinHold);
  // A little loss keeps it from trying again; the longer hold has to pass quietly.
  chooser.onReceiverReport(10, t + seconds(4));  // 4 %
  EXPECT_EQ(chooser.choose(layers, 1, t + seconds(9)), 1);
  EXPECT_EQ(chooser.choose(layers, 1, t + seconds(12) + milliseconds(10)), 2);
  // Down to the lowest and no further.
  chooser.onReceiverReport(128, t + seconds(14));
  EXPECT_EQ(chooser.choose(layers, 2, t + seconds(14)), 1);
  chooser.onReceiverReport(128, t + seconds(16));
  EXPECT_EQ(chooser.choose(layers, 1, t + seconds(16)), 0);
  chooser.onReceiverReport(128, t + seconds(18));
  EXPECT_EQ(chooser.choose(layers, 0, t + seconds(18)), 0);
}

TEST(LayerChooser, AFallingRembUnderTheLayerStepsDownARisingOneDoesNot) {
  const auto t0 = Clock::now();
  LayerChooser chooser(t0);
  const auto layers = threeLayers();
  ASSERT_EQ(chooser.choose(layers, -1, t0), 1);
  ASSERT_EQ(chooser.choose(layers, 1, t0 + seconds(5)), 2);  // on 2.5 Mb/s now
  // The receiver's estimate catches up from what it received before: low, but rising.
  chooser.onRemb(700'000, t0 + seconds(6));
  chooser.onRemb(900'000, t0 + seconds(7));
  chooser.onRemb(1'200'000, t0 + seconds(8));
  EXPECT_EQ(chooser.choose(layers, 2, t0 + seconds(8)), 2);
  chooser.onRemb(2'600'000, t0 + seconds(9));
  // Congestion: the estimate falls below 3/4 of the layer.
  chooser.onRemb(1'500'000, t0 + seconds(10));
  EXPECT_EQ(chooser.choose(layers, 2, t0 + seconds(10)), 1);
}

TEST(LayerChooser, APinnedLayerIsKeptAndAnIdleLayerIsLeft) {
  const auto t0 = Clock::now();
  LayerChooser chooser(t0);
  chooser.pin(0);
  EXPECT_EQ(chooser.choose(threeLayers(), 2, t0), 0);
  chooser.onReceiverReport(200, t0);  // losses do not move a pinned layer
  EXPECT_EQ(chooser.choose(threeLayers(), 0, t0 + seconds(1)), 0);
  chooser.pin(2);
  EXPECT_EQ(chooser.choose(threeLayers(), 0, t0 + seconds(2)), 2);
  // The publisher stops its top encoding: the pinned viewer gets the next one down.
  EXPECT_EQ(chooser.choose(threeLayers(/*top_active=*/false), 2, t0 + seconds(3)), 1);
  // Automatic again, on an idle layer: the best active one below it.
  chooser.pin(std::nullopt);
  EXPECT_EQ(chooser.choose(threeLayers(/*top_active=*/false), 2, t0 + seconds(4)), 1);
  // Nothing active (offline): no choice.
  auto idle = threeLayers(false);
  for (auto& layer : idle) layer.active = false;
  EXPECT_FALSE(chooser.choose(idle, 1, t0 + seconds(5)));
}

TEST(MediaStreamLayers, EachLayerHasItsOwnNumberingAndKeyframeRequests) {
  auto stream = std::make_shared<MediaStream>(
      "demo", std::vector<TrackDescription>{TrackDescription{}}, std::vector<RtcShard*>{});
  const auto publisher = stream->claimPublisher(nullptr);
  stream->setLayers(publisher, {"l", "m", "h"});
  const auto l0 = stream->nextSequence(0, 0);
  const auto h0 = stream->nextSequence(0, 2);
  std::vector<StreamPayload> payloads(2);
  payloads[0].layer = 2;
  payloads[0].bytes = "x";
  payloads[1].layer = 2;
  payloads[1].bytes = "y";
  ASSERT_TRUE(stream->publish(publisher, std::move(payloads)));
  EXPECT_EQ(stream->nextSequence(0, 2), static_cast<std::uint16_t>(h0 + 2));
  EXPECT_EQ(stream->nextSequence(0, 0), l0);

  stream->reportLayer(0, 150'000, 320, 180);
  stream->reportLayer(1, 600'000, 640, 360);
  stream->reportLayer(2, 2'000'000, 1280, 720);
  const auto layers = stream->layers(Clock::now());
  ASSERT_EQ(layers.size(), 3u);
  EXPECT_EQ(layers[0].rid, "l");
  EXPECT_EQ(layers[2].rid, "h");
  EXPECT_EQ(layers[2].height, 720);
  EXPECT_TRUE(layers[2].active);   // it just sent
  EXPECT_FALSE(layers[0].active);  // it never did
  EXPECT_FALSE(stream->layers(Clock::now() + seconds(2))[2].active);

  stream->requestKeyframe(2);
  stream->requestKeyframe(2);  // debounced
  stream->requestKeyframe(1);
  EXPECT_EQ(stream->keyframeRequests(2), 1u);
  EXPECT_EQ(stream->keyframeRequests(1), 1u);
  EXPECT_EQ(stream->keyframeRequests(0), 0u);

  // A single-layer publisher after it: no layers to choose.
  const auto next = stream->claimPublisher(nullptr);
  stream->setLayers(next, {});
  EXPECT_TRUE(stream->layers(Clock::now()).empty());
}

}  // namespace
}  // namespace throng::rtc
