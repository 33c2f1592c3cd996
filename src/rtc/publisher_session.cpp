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
  for (const auto& track : stream().tracks()) tracks_.emplace_back(track.clock_rate);
  last_media_ = now;
}

PublisherSession::~PublisherSession() {
  if (publisher_ != 0) stream().releasePublisher(publisher_);
}

void PublisherSession::startRecording() {
  const auto& dir = shard_.service().options().recordings_dir;
  if (dir.empty()) return;
  std::vector<record::RecordedTrack> tracks;
  for (std::size_t i = 0; i < stream().tracks().size(); ++i) {
    const auto& t = stream().tracks()[i];
    record::RecordedTrack track;
    track.kind = t.kind == MediaKind::kVideo ? "video" : "audio";
    track.codec = t.codec;
    track.payload_type = plan().payload_types[i];  // the packets keep the publisher's numbers
    track.clock_rate = t.clock_rate;
    track.channels = t.channels;
    track.fmtp = t.fmtp;
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
  stream_requests_seen_ = stream().keyframeRequests();
  last_media_ = now;
  startRecording();
  spdlog::info("webrtc: publisher of '{}' is live", stream().slug());
}

void PublisherSession::onClose() {
  flushVideo();
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

bool PublisherSession::onSrtp(std::uint8_t* packet, std::size_t length, Clock::time_point now,
                              std::vector<std::string>& out) {
  if (phase() != Phase::kConnected || !srtp_->unprotectRtp(packet, length)) {
    reject();
    return true;
  }
  const std::span<const std::uint8_t> bytes(packet, length);
  const auto header = parseRtp(bytes);
  if (!header) {
    reject();
    return true;
  }
  const auto& payload_types = plan().payload_types;
  const auto found = std::find(payload_types.begin(), payload_types.end(),
                               static_cast<int>(header->payload_type));
  if (found == payload_types.end() || header->payload_size > kMaxPayload ||
      header->payload_size == 0) {
    reject();  // not negotiated (RTX, FEC, garbage), oversized, or empty padding-only
    return true;
  }
  const int track = static_cast<int>(found - payload_types.begin());
  auto& ingest = tracks_[static_cast<std::size_t>(track)];
  last_media_ = now;
  if (recorder_) recorder_->write(track, bytes, std::chrono::system_clock::now());
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
  appendNacks(track, now, out);

  const auto payload = bytes.subspan(header->header_size, header->payload_size);
  const bool video =
      stream().tracks()[static_cast<std::size_t>(track)].kind == MediaKind::kVideo;
  if (disposition == IngestTrack::Disposition::kRecovered && ingest.mapped()) {
    onRecovered(track, *header, payload, now);
  } else if (video) {
    onVideo(track, *header, payload, now, out);
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
  maybeRequestKeyframe(now, out);
  return true;
}

void PublisherSession::onVideo(int track, const RtpHeader& header,
                               std::span<const std::uint8_t> payload, Clock::time_point now,
                               std::vector<std::string>& out) {
  auto& ingest = tracks_[static_cast<std::size_t>(track)];
  const auto& description = stream().tracks()[static_cast<std::size_t>(track)];
  if (!access_unit_started_ || header.timestamp != access_unit_timestamp_) {
    flushVideo();  // the previous frame's marker was lost: send what it had
    access_unit_started_ = true;
    access_unit_timestamp_ = header.timestamp;
    access_unit_has_keyframe_ = false;
  }
  bool keyframe_start = false;
  std::string parameter_sets;
  if (isH264(description)) {
    const auto facts = media::inspectH264Payload(payload);
    if (!facts.valid) {
      reject();
      return;
    }
    if (facts.has_sps) sps_.assign(facts.sps);
    if (facts.has_pps) pps_.assign(facts.pps);
    if (facts.b_slice) {
      ++stats_.b_frames;
      if (!warned_b_frames_) {
        warned_b_frames_ = true;
        spdlog::warn("webrtc: the publisher of '{}' sends B-frames; WebRTC players may stutter "
                     "(turn B-frames off in the encoder: bframes=0)", stream().slug());
      }
    }
    if (!access_unit_has_keyframe_ && (facts.has_sps || facts.starts_idr)) {
      access_unit_has_keyframe_ = true;
      keyframe_start = true;
      // An IDR without its parameter sets: a viewer starting here could not decode it.
      if (!facts.has_sps && !sps_.empty() && !pps_.empty()) {
        parameter_sets = parameterSetPacket(sps_, pps_);
      }
    }
  } else {  // VP8
    keyframe_start = media::vp8StartsKeyframe(payload);
  }
  if (keyframe_start) {
    ++stats_.keyframes;
    if (last_keyframe_ != Clock::time_point{}) {
      stats_.keyframe_interval_s = std::chrono::duration<double>(now - last_keyframe_).count();
    }
    last_keyframe_ = now;
    waiting_for_keyframe_ = false;
    keyframe_wanted_ = false;
  }
  if (waiting_for_keyframe_) {
    keyframe_wanted_ = true;  // viewers switching to this publisher need a clean start
    maybeRequestKeyframe(now, out);
    return;
  }
  if (!ingest.mapped()) {
    // From the first keyframe on: the stream's numbering continues where the last publisher
    // left it, with no gap for the packets skipped before.
    ingest.mapOnto(stream().nextSequence(track),
                   stream().rtpTimestampAt(track, now).value_or(header.timestamp), header);
  }
  StreamPayload packet;
  packet.track = track;
  packet.rtp_timestamp = ingest.streamTimestamp(header.timestamp);
  packet.captured = now;
  if (!parameter_sets.empty()) {
    StreamPayload sets = packet;
    sets.bytes = std::move(parameter_sets);
    sets.sequence = ingest.streamSequence(header.sequence);
    sets.keyframe_start = true;
    frame_.push_back(std::move(sets));
    ingest.insertOnePacketBefore(header.sequence);
    keyframe_start = false;  // the parameter sets start it
  }
  packet.bytes.assign(reinterpret_cast<const char*>(payload.data()), payload.size());
  packet.sequence = ingest.streamSequence(header.sequence);
  packet.marker = header.marker;
  packet.keyframe_start = keyframe_start;
  frame_.push_back(std::move(packet));
  if (header.marker) flushVideo();
}

void PublisherSession::onRecovered(int track, const RtpHeader& header,
                                   std::span<const std::uint8_t> payload, Clock::time_point now) {
  const auto& ingest = tracks_[static_cast<std::size_t>(track)];
  StreamPayload packet;
  packet.track = track;
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

void PublisherSession::flushVideo() {
  if (frame_.empty()) return;
  if (publisher_ != 0) stream().publish(publisher_, std::move(frame_));
  frame_.clear();
}

void PublisherSession::maybeRequestKeyframe(Clock::time_point now,
                                            std::vector<std::string>& out) {
  const auto requests = stream().keyframeRequests();
  if (requests != stream_requests_seen_) {
    stream_requests_seen_ = requests;
    keyframe_wanted_ = true;
  }
  if (!keyframe_wanted_ || now - last_keyframe_request_ < kKeyframeRequestInterval) return;
  int video = -1;
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    if (stream().tracks()[i].kind == MediaKind::kVideo && tracks_[i].started()) {
      video = static_cast<int>(i);
    }
  }
  if (video < 0) return;
  const std::uint32_t media_ssrc = tracks_[static_cast<std::size_t>(video)].ssrc();
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
  last_keyframe_request_ = now;
  keyframe_wanted_ = false;
  ++stats_.keyframe_requests;
  RtcCounters::add(shard_.counters().ingest_keyframe_requests);
}

void PublisherSession::appendNacks(int track, Clock::time_point now,
                                   std::vector<std::string>& out) {
  auto& ingest = tracks_[static_cast<std::size_t>(track)];
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
void PublisherSession::appendReports(Clock::time_point now, std::vector<std::string>& out) {
  RtcpReceiverReport report;
  report.sender_ssrc = local_ssrc_;
  double received_bps = 0;
  std::uint8_t worst_fraction = 0;
  std::vector<std::uint32_t> sources;
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    auto& ingest = tracks_[i];
    if (!ingest.started()) continue;
    const auto block = ingest.reportBlock(now);
    report.blocks.push_back(block);
    sources.push_back(ingest.ssrc());
    received_bps += ingest.stats().bitrate_bps;
    if (stream().tracks()[i].kind == MediaKind::kVideo) {
      stats_.video_bitrate_bps = ingest.stats().bitrate_bps;
      stats_.video_fraction_lost = block.fraction_lost;
    } else {
      stats_.audio_bitrate_bps = ingest.stats().bitrate_bps;
    }
    worst_fraction = std::max(worst_fraction, block.fraction_lost);
  }
  if (report.blocks.empty()) return;
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
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    if (tracks_[i].started()) appendNacks(static_cast<int>(i), now, out);
  }
  maybeRequestKeyframe(now, out);
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
        for (auto& ingest : tracks_) {
          if (ingest.started() && ingest.ssrc() == report->sender_ssrc) {
            ingest.onSenderReport(report->ntp_time, now);
          }
        }
      });
  if (!well_formed) RtcCounters::add(counters.srtcp_rejected);
}

PublisherSession::Stats PublisherSession::stats() const {
  Stats stats = stats_;
  for (const auto& ingest : tracks_) {
    stats.recovered += ingest.stats().recovered;
    stats.given_up += ingest.stats().given_up;
  }
  stats.live = publisher_ != 0 && stream().currentPublisher() == publisher_;
  return stats;
}

}  // namespace throng::rtc
