#include "rtc/publisher_session.h"

#include "media/h264_nal.h"
#include "media/payload_inspect.h"
#include "record/recorder.h"
#include "rtc/rtc_service.h"
#include "rtc/rtc_shard.h"
#include "rtc/sdp_text.h"
#include "rtc/srtp.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace throng::rtc {

namespace {

constexpr auto kReportInterval = std::chrono::seconds(1);
// REMB (draft-alvestrand-rmcat-remb-03) floor: enough for a watchable 360p picture.
constexpr double kMinRembBps = 300'000;

std::uint32_t randomSsrc() {
  std::uint32_t value = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value);
  return value;
}

bool isH264(const TrackDescription& track) { return sdp_text::iequals(track.codec, "H264"); }

// RFC 6184 §5.7.1: a STAP-A carrying the SPS and PPS, NRI taken from the SPS.
std::string parameterSetPacket(const std::string& sps, const std::string& pps) {
  std::string packet;
  packet.push_back(static_cast<char>((sps[0] & 0x60) | media::kNalStapA));
  for (const std::string* nal : {&sps, &pps}) {
    packet.push_back(static_cast<char>(nal->size() >> 8));
    packet.push_back(static_cast<char>(nal->size() & 0xff));
    packet += *nal;
  }
  return packet;
}

}  // namespace

PublisherSession::PublisherSession(std::unique_ptr<SessionPlan> plan, RtcShard& shard,
                                   Clock::time_point now)
    : PeerSession(std::move(plan), shard, now), local_ssrc_(randomSsrc()) {
  const auto& tracks = stream().tracks();
  for (std::size_t i = 0; i < tracks.size(); ++i) {
    if (this->plan().payload_types[i] < 0) continue;
    const int track = static_cast<int>(i);
    const bool layered = tracks[i].kind == MediaKind::kVideo && !this->plan().rids.empty();
    const std::size_t layers = layered ? this->plan().rids.size() : 1;
    for (std::size_t layer = 0; layer < layers; ++layer) {
      sources_.emplace_back(track, static_cast<int>(layer), tracks[i].clock_rate);
    }
  }
  last_media_ = now;
}

PublisherSession::~PublisherSession() {
  if (publisher_ != 0) stream().releasePublisher(publisher_);
}

bool PublisherSession::isVideo(const Source& source) const {
  return stream().tracks()[static_cast<std::size_t>(source.track)].kind == MediaKind::kVideo;
}

void PublisherSession::startRecording() {
  const auto& dir = shard_.service().options().recordings_dir;
  if (dir.empty()) return;
  std::vector<record::RecordedTrack> tracks;
  for (const auto& source : sources_) {
    const auto& t = stream().tracks()[static_cast<std::size_t>(source.track)];
    record::RecordedTrack track;
    track.kind = t.kind == MediaKind::kVideo ? "video" : "audio";
    track.codec = t.codec;
    // The packets keep the publisher's numbers.
    track.payload_type = plan().payload_types[static_cast<std::size_t>(source.track)];
    track.clock_rate = t.clock_rate;
    track.channels = t.channels;
    track.fmtp = t.fmtp;
    if (isVideo(source) && !plan().rids.empty()) {
      track.rid = plan().rids[static_cast<std::size_t>(source.layer)];
    }
    tracks.push_back(std::move(track));
  }
  // Once per live, on this worker: a directory and a small index file (the packets go to the
  // recorder's own thread).
  auto started = record::Recorder::start(dir, stream().slug(), std::move(tracks),
                                         std::chrono::system_clock::now());
  if (!started) {
    spdlog::warn("webrtc: the live of '{}' is not recorded: {}", stream().slug(),
                 started.error().message);
    return;
  }
  recorder_ = std::move(started.value());
  spdlog::info("webrtc: recording the live of '{}' in {}", stream().slug(),
               recorder_->directory().string());
}

void PublisherSession::onConnected(Clock::time_point now) {
  // The stream becomes the event's (replacing one of other codecs) and this publisher its
  // source: the test source, or a publisher before this one, is no longer heard.
  shard_.service().adoptStream(plan().stream);
  publisher_ = stream().claimPublisher(nullptr);
  stream().setLayers(publisher_, plan().rids);
  for (auto& source : sources_) source.requests_seen = stream().keyframeRequests(source.layer);
  last_media_ = now;
  startRecording();
  if (plan().rids.empty()) {
    spdlog::info("webrtc: publisher of '{}' is live", stream().slug());
  } else {
    spdlog::info("webrtc: publisher of '{}' is live with {} simulcast layers", stream().slug(),
                 plan().rids.size());
  }
}

void PublisherSession::onClose() {
  for (auto& source : sources_) flushVideo(source);
  if (recorder_) recorder_->stop();  // flushes and completes the index
  if (publisher_ != 0) {
    stream().releasePublisher(publisher_);
    spdlog::info("webrtc: publisher of '{}' left; the stream is offline", stream().slug());
  }
  publisher_ = 0;
}

void PublisherSession::reject() {
  ++stats_.rejected;
  RtcCounters::add(shard_.counters().ingest_rejected);
}

PublisherSession::Source* PublisherSession::sourceOf(const RtpHeader& header,
                                                     std::span<const std::uint8_t> packet) {
  const auto& payload_types = plan().payload_types;
  const auto found = std::find(payload_types.begin(), payload_types.end(),
                               static_cast<int>(header.payload_type));
  if (found == payload_types.end()) return nullptr;
  const int track = static_cast<int>(found - payload_types.begin());
  const bool layered =
      !plan().rids.empty() &&
      stream().tracks()[static_cast<std::size_t>(track)].kind == MediaKind::kVideo;
  if (!layered) {
    for (auto& source : sources_) {
      if (source.track == track) return &source;
    }
    return nullptr;
  }
  for (auto& source : sources_) {
    if (source.track == track && source.bound && source.ingest.ssrc() == header.ssrc) {
      return &source;
    }
  }
  // A new SSRC: its rid says which layer it is (RFC 8852 §3; browsers send it until our
  // receiver reports acknowledge the SSRC). A layer whose sender restarted takes the new SSRC.
  const auto rid = findOneByteExtension(packet, header,
                                        static_cast<std::uint8_t>(plan().rid_extension));
  if (!rid) return nullptr;
  const std::string_view name(reinterpret_cast<const char*>(rid->data()), rid->size());
  for (auto& source : sources_) {
    if (source.track != track || plan().rids[static_cast<std::size_t>(source.layer)] != name) {
      continue;
    }
    source.bound = true;
    return &source;
  }
  return nullptr;
}

bool PublisherSession::onSrtp(std::uint8_t* packet, std::size_t length, Clock::time_point now,
                              std::vector<std::string>& out) {
  if (phase() != Phase::kConnected || !srtp_->unprotectRtp(packet, length)) {
    reject();
    return true;
  }
  const std::span<const std::uint8_t> bytes(packet, length);
  const auto header = parseRtp(bytes);
  if (!header || header->payload_size > kMaxPayload || header->payload_size == 0) {
    reject();  // garbage, oversized, or empty padding-only
    return true;
  }
  Source* found = sourceOf(*header, bytes);
  if (!found) {
    reject();  // not negotiated (RTX, FEC, garbage) or a layer throng cannot name
    return true;
  }
  Source& source = *found;
  const int track = source.track;
  auto& ingest = source.ingest;
  last_media_ = now;
  if (recorder_) {
    recorder_->write(static_cast<int>(found - sources_.data()), bytes,
                     std::chrono::system_clock::now());
  }
  const auto disposition = ingest.onPacket(*header, length, now);
  if (disposition == IngestTrack::Disposition::kDuplicate) {
    RtcCounters::add(shard_.counters().ingest_duplicates);
    return true;
  }
  if (disposition == IngestTrack::Disposition::kRecovered) {
    RtcCounters::add(shard_.counters().ingest_recovered);
  }
  ++stats_.packets;
  stats_.bytes += length;
  RtcCounters::add(shard_.counters().ingest_packets);
  RtcCounters::add(shard_.counters().ingest_bytes, length);
  appendNacks(source, now, out);

  const auto payload = bytes.subspan(header->header_size, header->payload_size);
  if (disposition == IngestTrack::Disposition::kRecovered && ingest.mapped()) {
    onRecovered(source, *header, payload, now);
  } else if (isVideo(source)) {
    onVideo(source, *header, payload, now, out);
  } else {
    if (!ingest.mapped()) {
      // Continue the stream's numbering and clock where the last publisher left them.
      ingest.mapOnto(stream().nextSequence(track),
                     stream().rtpTimestampAt(track, now).value_or(header->timestamp), *header);
    }
    StreamPayload audio;
    audio.track = track;
    audio.bytes.assign(reinterpret_cast<const char*>(payload.data()), payload.size());
    audio.rtp_timestamp = ingest.streamTimestamp(header->timestamp);
    audio.sequence = ingest.streamSequence(header->sequence);
    audio.marker = header->marker;
    audio.captured = now;
    std::vector<StreamPayload> one;
    one.push_back(std::move(audio));
    stream().publish(publisher_, std::move(one));
  }
  maybeRequestKeyframes(now, out);
  return true;
}

void PublisherSession::onVideo(Source& source, const RtpHeader& header,
                               std::span<const std::uint8_t> payload, Clock::time_point now,
                               std::vector<std::string>& out) {
  auto& ingest = source.ingest;
  const int track = source.track;
  const auto& description = stream().tracks()[static_cast<std::size_t>(track)];
  if (!source.access_unit_started || header.timestamp != source.access_unit_timestamp) {
    flushVideo(source);  // the previous frame's marker was lost: send what it had
    source.access_unit_started = true;
    source.access_unit_timestamp = header.timestamp;
    source.access_unit_has_keyframe = false;
  }
  bool keyframe_start = false;
  std::string parameter_sets;
  if (isH264(description)) {
    const auto facts = media::inspectH264Payload(payload);
    if (!facts.valid) {
      reject();
      return;
    }
    if (facts.has_sps) source.sps.assign(facts.sps);
    if (facts.has_pps) source.pps.assign(facts.pps);
    if (facts.b_slice) {
      ++stats_.b_frames;
      if (!warned_b_frames_) {
        warned_b_frames_ = true;
        spdlog::warn("webrtc: the publisher of '{}' sends B-frames; WebRTC players may stutter "
                     "(turn B-frames off in the encoder: bframes=0)", stream().slug());
      }
    }
    if (!source.access_unit_has_keyframe && (facts.has_sps || facts.starts_idr)) {
      source.access_unit_has_keyframe = true;
      keyframe_start = true;
      // An IDR without its parameter sets: a viewer starting here could not decode it.
      if (!facts.has_sps && !source.sps.empty() && !source.pps.empty()) {
        parameter_sets = parameterSetPacket(source.sps, source.pps);
      }
    }
  } else {  // VP8
    keyframe_start = media::vp8StartsKeyframe(payload);
    if (const auto size = media::vp8KeyframeSize(payload)) {
      source.width = size->width;
      source.height = size->height;
    }
  }
  if (keyframe_start) {
    ++stats_.keyframes;
    if (source.last_keyframe != Clock::time_point{}) {
      source.keyframe_interval_s =
          std::chrono::duration<double>(now - source.last_keyframe).count();
    }
    source.last_keyframe = now;
    source.waiting_for_keyframe = false;
    source.keyframe_wanted = false;
  }
  if (source.waiting_for_keyframe) {
    source.keyframe_wanted = true;  // viewers switching to this publisher need a clean start
    maybeRequestKeyframes(now, out);
    return;
  }
  if (!ingest.mapped()) {
    // From the first keyframe on: the stream's numbering continues where the last publisher
    // left it, with no gap for the packets skipped before. Every layer maps onto the track's
    // one clock, so a viewer moved between layers sees time go on.
    ingest.mapOnto(stream().nextSequence(track, source.layer),
                   stream().rtpTimestampAt(track, now).value_or(header.timestamp), header);
  }
  StreamPayload packet;
  packet.track = track;
  packet.layer = source.layer;
  packet.rtp_timestamp = ingest.streamTimestamp(header.timestamp);
  packet.captured = now;
  if (!parameter_sets.empty()) {
    StreamPayload sets = packet;
    sets.bytes = std::move(parameter_sets);
    sets.sequence = ingest.streamSequence(header.sequence);
    sets.keyframe_start = true;
    source.frame.push_back(std::move(sets));
    ingest.insertOnePacketBefore(header.sequence);
    keyframe_start = false;  // the parameter sets start it
  }
  packet.bytes.assign(reinterpret_cast<const char*>(payload.data()), payload.size());
  packet.sequence = ingest.streamSequence(header.sequence);
  packet.marker = header.marker;
  packet.keyframe_start = keyframe_start;
  source.frame.push_back(std::move(packet));
  if (header.marker) flushVideo(source);
}

void PublisherSession::onRecovered(Source& source, const RtpHeader& header,
                                   std::span<const std::uint8_t> payload, Clock::time_point now) {
  const auto& ingest = source.ingest;
  StreamPayload packet;
  packet.track = source.track;
  packet.layer = source.layer;
  packet.bytes.assign(reinterpret_cast<const char*>(payload.data()), payload.size());
  packet.rtp_timestamp = ingest.streamTimestamp(header.timestamp);
  packet.sequence = ingest.streamSequence(header.sequence);
  packet.marker = header.marker;
  packet.captured = now;
  packet.retransmission = true;
  std::vector<StreamPayload> one;
  one.push_back(std::move(packet));
  if (publisher_ != 0) stream().publish(publisher_, std::move(one));
}

void PublisherSession::flushVideo(Source& source) {
  if (source.frame.empty()) return;
  if (publisher_ != 0) stream().publish(publisher_, std::move(source.frame));
  source.frame.clear();
}

// Per video source: the viewers' requests for its layer (debounced by the stream), and its own
// wait for a first keyframe; at most one request a second to each of the publisher's SSRCs.
void PublisherSession::maybeRequestKeyframes(Clock::time_point now,
                                             std::vector<std::string>& out) {
  for (auto& source : sources_) {
    if (!isVideo(source)) continue;
    const auto requests = stream().keyframeRequests(source.layer);
    if (requests != source.requests_seen) {
      source.requests_seen = requests;
      source.keyframe_wanted = true;
    }
    if (!source.keyframe_wanted || !source.ingest.started() ||
        now - source.last_keyframe_request < kKeyframeRequestInterval) {
      continue;
    }
    const std::uint32_t media_ssrc = source.ingest.ssrc();
    std::string packet;
    // RFC 4585 §6.3.1 PLI if the publisher accepts it, else RFC 5104 §4.3.1 FIR.
    if (plan().pli || !plan().fir) {
      appendPli(packet, {local_ssrc_, media_ssrc});
    } else {
      RtcpFir fir;
      fir.sender_ssrc = local_ssrc_;
      fir.entries.emplace_back(media_ssrc, fir_sequence_++);
      appendFir(packet, fir);
    }
    appendProtectedRtcp(std::move(packet), out);
    source.last_keyframe_request = now;
    source.keyframe_wanted = false;
    ++stats_.keyframe_requests;
    RtcCounters::add(shard_.counters().ingest_keyframe_requests);
  }
}

void PublisherSession::appendNacks(Source& source, Clock::time_point now,
                                   std::vector<std::string>& out) {
  auto& ingest = source.ingest;
  auto sequences = ingest.nacksDue(now);
  if (sequences.empty() || !plan().nack) return;
  RtcCounters::add(shard_.counters().ingest_nacks_sent, sequences.size());
  stats_.nacks_sent += sequences.size();
  RtcpNack nack;
  nack.sender_ssrc = local_ssrc_;
  nack.media_ssrc = ingest.ssrc();
  nack.sequences = std::move(sequences);
  std::string packet;
  appendNack(packet, nack);
  appendProtectedRtcp(std::move(packet), out);
}

// RR with a block per source and, when the publisher takes REMB, the bitrate it may send:
// the ceiling while losses stay low, less as they grow (a loss-based estimate; throng does not
// answer transport-cc, so the sender's own delay-based estimate has nothing to work from).
// The video layers' bitrates and sizes go to the stream, for the viewers' layer choice.
void PublisherSession::appendReports(Clock::time_point now, std::vector<std::string>& out) {
  RtcpReceiverReport report;
  report.sender_ssrc = local_ssrc_;
  double received_bps = 0, video_bps = 0, top_layer_bps = -1;
  std::uint8_t worst_fraction = 0, worst_video_fraction = 0;
  std::vector<std::uint32_t> sources;
  for (auto& source : sources_) {
    auto& ingest = source.ingest;
    if (!ingest.started()) continue;
    const auto block = ingest.reportBlock(now);
    report.blocks.push_back(block);
    sources.push_back(ingest.ssrc());
    const double bitrate = ingest.stats().bitrate_bps;
    received_bps += bitrate;
    if (isVideo(source)) {
      video_bps += bitrate;
      worst_video_fraction = std::max(worst_video_fraction, block.fraction_lost);
      if (bitrate > top_layer_bps) {
        top_layer_bps = bitrate;
        stats_.keyframe_interval_s = source.keyframe_interval_s;
      }
      stream().reportLayer(source.layer, static_cast<std::uint64_t>(bitrate), source.width,
                           source.height);
    } else {
      stats_.audio_bitrate_bps = bitrate;
    }
    worst_fraction = std::max(worst_fraction, block.fraction_lost);
  }
  if (report.blocks.empty()) return;
  stats_.video_bitrate_bps = video_bps;
  stats_.video_fraction_lost = worst_video_fraction;
  std::string packet;
  appendReceiverReport(packet, report);
  if (plan().remb) {
    const double loss = worst_fraction / 256.0;
    const double ceiling = static_cast<double>(shard_.service().options().ingest_max_bitrate_bps);
    // Above 10% loss (RFC 8836's "high loss" regime) the link is the limit: back off from
    // what arrives; below it, invite the ceiling and let the sender ramp up to it.
    const double estimate = loss > 0.1 ? received_bps * (1 - loss / 2) : ceiling;
    RtcpRemb remb;
    remb.sender_ssrc = local_ssrc_;
    remb.bitrate_bps = static_cast<std::uint64_t>(std::clamp(estimate, kMinRembBps, ceiling));
    remb.ssrcs = std::move(sources);
    appendRemb(packet, remb);
  }
  appendProtectedRtcp(std::move(packet), out);
}

CloseReason PublisherSession::connectedTick(Clock::time_point now,
                                            std::vector<std::string>& out) {
  const auto silent_for = now - std::max(last_media_, lastConsent());
  if (silent_for > shard_.service().options().publisher_timeout) {
    return CloseReason::kConsentExpired;
  }
  for (auto& source : sources_) {
    if (source.ingest.started()) appendNacks(source, now, out);
  }
  maybeRequestKeyframes(now, out);
  if (now - last_report_ >= kReportInterval) {
    last_report_ = now;
    appendReports(now, out);
  }
  return CloseReason::kNone;
}

void PublisherSession::onSrtcp(std::uint8_t* packet, std::size_t length, Clock::time_point now) {
  auto& counters = shard_.counters();
  if (phase() != Phase::kConnected || !srtp_->unprotectRtcp(packet, length)) {
    RtcCounters::add(counters.srtcp_rejected);
    return;
  }
  const bool well_formed = forEachRtcpPacket(
      std::span<const std::uint8_t>(packet, length), [&](const RtcpPacketView& view) {
        if (view.packet_type != kRtcpSr) return;
        const auto report = parseSenderReport(view);
        if (!report) return;
        for (auto& source : sources_) {
          if (source.ingest.started() && source.ingest.ssrc() == report->sender_ssrc) {
            source.ingest.onSenderReport(report->ntp_time, now);
          }
        }
      });
  if (!well_formed) RtcCounters::add(counters.srtcp_rejected);
}

PublisherSession::Stats PublisherSession::stats() const {
  Stats stats = stats_;
  for (const auto& source : sources_) {
    stats.recovered += source.ingest.stats().recovered;
    stats.given_up += source.ingest.stats().given_up;
  }
  stats.live = publisher_ != 0 && stream().currentPublisher() == publisher_;
  return stats;
}

}  // namespace throng::rtc
