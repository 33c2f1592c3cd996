#include "bench/whep_viewer.h"

#include "base/random.h"
#include "media/payload_inspect.h"
#include "rtc/dtls.h"
#include "rtc/packet_class.h"
#include "rtc/rtcp.h"
#include "rtc/rtp.h"
#include "rtc/sdp.h"
#include "rtc/srtp.h"
#include "rtc/stun.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <netinet/udp.h>
#include <openssl/rand.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace throng::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using udp = asio::ip::udp;

namespace {

// Connectivity checks: every 50 ms until answered (RFC 8445 §14.2 paces at Ta = 50 ms), at
// most 100 (5 s).
constexpr auto kCheckInterval = std::chrono::milliseconds(50);
constexpr int kMaxChecks = 100;
constexpr auto kHttpTimeout = std::chrono::seconds(10);

std::uint32_t randomUint32() {
  std::uint32_t value = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value);
  return value;
}

// What a browser offers for recvonly video and audio, reduced to what matters: BUNDLE,
// rtcp-mux, the DTLS role actpass, NACK/PLI feedback.
std::string makeOffer(const std::string& ufrag, const std::string& pwd,
                      const std::string& fingerprint, const std::string& video_codec) {
  const std::string video_rtpmap =
      video_codec == "H264"
          ? "a=rtpmap:102 H264/90000\r\n"
            "a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n"
          : "a=rtpmap:102 VP8/90000\r\n";
  return fmt::format(
      "v=0\r\no=- {} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
      "a=msid-semantic: WMS\r\n"
      "m=video 9 UDP/TLS/RTP/SAVPF 102\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
      "a=ice-ufrag:{}\r\na=ice-pwd:{}\r\na=ice-options:trickle\r\n"
      "a=fingerprint:sha-256 {}\r\na=setup:actpass\r\na=mid:0\r\na=recvonly\r\na=rtcp-mux\r\n"
      "a=rtcp-rsize\r\n{}a=rtcp-fb:102 nack\r\na=rtcp-fb:102 nack pli\r\na=rtcp-fb:102 ccm fir\r\n"
      "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n"
      "a=ice-ufrag:{}\r\na=ice-pwd:{}\r\na=ice-options:trickle\r\n"
      "a=fingerprint:sha-256 {}\r\na=setup:actpass\r\na=mid:1\r\na=recvonly\r\na=rtcp-mux\r\n"
      "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n",
      randomUint32(), ufrag, pwd, fingerprint, video_rtpmap, ufrag, pwd, fingerprint);
}

// RFC 7741 §4.2/§4.3: is this VP8 payload the start of a keyframe?
bool vp8KeyframeStart(const std::uint8_t* p, std::size_t n) {
  if (n < 1) return false;
  const bool extended = p[0] & 0x80, start = p[0] & 0x10;
  const int partition = p[0] & 0x0f;
  std::size_t i = 1;
  if (extended) {
    if (i >= n) return false;
    const std::uint8_t x = p[i++];
    if (x & 0x80) {  // I: picture id, 7 or 15 bits
      if (i >= n) return false;
      i += (p[i] & 0x80) ? 2 : 1;
    }
    if (x & 0x40) ++i;           // L: TL0PICIDX
    if (x & 0x30) ++i;           // T or K: TID/Y/KEYIDX
  }
  if (!start || partition != 0 || i >= n) return false;
  return (p[i] & 0x01) == 0;  // P bit of the VP8 payload header: 0 = keyframe
}

// RFC 6184: an IDR slice, or a STAP-A/FU-A start that carries SPS or IDR.
bool h264KeyframeStart(const std::uint8_t* p, std::size_t n) {
  if (n < 2) return false;
  const int type = p[0] & 0x1f;
  if (type == 5 || type == 7) return true;
  if (type == 24 && n >= 4) return (p[3] & 0x1f) == 7 || (p[3] & 0x1f) == 5;  // STAP-A
  if (type == 28) return (p[1] & 0x80) && ((p[1] & 0x1f) == 5);              // FU-A start
  return false;
}

}  // namespace

WhepViewer::WhepViewer(asio::io_context& io, WhepViewerOptions options, rtc::DtlsContext& dtls,
                       std::string dtls_fingerprint)
    : io_(io),
      options_(std::move(options)),
      dtls_context_(dtls),
      dtls_fingerprint_(std::move(dtls_fingerprint)),
      socket_(io),
      timer_(io) {}

WhepViewer::~WhepViewer() = default;

void WhepViewer::start() {
  started_ = Clock::now();
  local_ufrag_ = randomHexToken(4);
  local_pwd_ = randomHexToken(16);
  own_ssrc_ = randomUint32();
  boost::system::error_code ec;
  socket_.open(options_.source_address.is_v6() ? udp::v6() : udp::v4(), ec);
  if (!ec) socket_.bind(udp::endpoint(options_.source_address, 0), ec);
  if (ec) return fail("UDP bind " + options_.source_address.to_string() + ": " + ec.message());
  const int gro = options_.gro ? 1 : 0;
  if (gro && ::setsockopt(socket_.native_handle(), SOL_UDP, UDP_GRO, &gro, sizeof(gro)) != 0) {
    return fail(std::string("UDP_GRO: ") + std::strerror(errno));
  }
  buffer_.resize(gro ? 65536 : 2048);
  post();
}

void WhepViewer::post() {
  struct Exchange {
    beast::tcp_stream stream;
    http::request<http::string_body> request;
    http::response<http::string_body> response;
    beast::flat_buffer buffer;
    explicit Exchange(asio::io_context& io) : stream(io) {}
  };
  auto exchange = std::make_shared<Exchange>(io_);
  auto& request = exchange->request;
  request.method(http::verb::post);
  request.target("/whep/" + options_.event);
  request.set(http::field::host, options_.host);
  request.set(http::field::content_type, "application/sdp");
  request.body() =
      makeOffer(local_ufrag_, local_pwd_, dtls_fingerprint_, options_.offer_codec);
  request.prepare_payload();
  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options_.host, ec);
  if (ec) return fail("bad host " + options_.host);
  exchange->stream.expires_after(kHttpTimeout);
  auto self = shared_from_this();
  exchange->stream.async_connect(
      asio::ip::tcp::endpoint(address, options_.http_port),
      [self, exchange](beast::error_code connect_error) {
        if (connect_error) return self->fail("HTTP connect: " + connect_error.message());
        http::async_write(exchange->stream, exchange->request,
                          [self, exchange](beast::error_code write_error, std::size_t) {
          if (write_error) return self->fail("HTTP write: " + write_error.message());
          http::async_read(exchange->stream, exchange->buffer, exchange->response,
                           [self, exchange](beast::error_code read_error, std::size_t) {
            if (read_error) return self->fail("HTTP read: " + read_error.message());
            self->http_status_ = static_cast<int>(exchange->response.result_int());
            beast::error_code ignored;
            exchange->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
            if (self->state_ == State::kStopped) return;
            if (self->http_status_ != 201) {
              return self->fail(fmt::format("WHEP POST: {} {}", self->http_status_,
                                            exchange->response.body()));
            }
            self->location_ = std::string(exchange->response[http::field::location]);
            self->onAnswer(exchange->response.body());
          });
        });
      });
}

void WhepViewer::onAnswer(const std::string& body) {
  times_.answered = Clock::now() - started_;
  auto answer = rtc::parseSdp(body);
  if (!answer) return fail("answer: " + answer.error().message);
  bool have_candidate = false;
  for (const auto& media : answer->media) {
    if (media.port == 0) continue;
    remote_ufrag_ = media.ice_ufrag;
    remote_pwd_ = media.ice_pwd;
    remote_fingerprint_ = media.fingerprint;
    if (media.kind == rtc::MediaKind::kVideo) {
      if (!media.codecs.empty()) video_payload_type_ = media.codecs.front().payload_type;
      if (!media.ssrcs.empty()) video_ssrc_ = media.ssrcs.front();
    } else if (media.kind == rtc::MediaKind::kAudio && !media.ssrcs.empty()) {
      audio_ssrc_ = media.ssrcs.front();
    }
    for (const auto& candidate : media.candidates) {
      boost::system::error_code ec;
      const auto address = asio::ip::make_address(candidate.address, ec);
      // Loopback only: a bench never sends media anywhere else.
      if (ec || !address.is_loopback() || have_candidate) continue;
      server_ = udp::endpoint(address, candidate.port);
      have_candidate = true;
    }
  }
  if (!have_candidate) return fail("answer has no loopback host candidate");
  dtls_ = std::make_unique<rtc::DtlsSession>(dtls_context_, remote_fingerprint_);
  state_ = State::kIce;
  receive();
  sendBindingRequest();
  armTimer();
}

void WhepViewer::sendBindingRequest() {
  rtc::BindingRequestParams params;
  params.username = remote_ufrag_ + ":" + local_ufrag_;
  params.password = remote_pwd_;
  params.priority = 2130706431;  // a host candidate's priority (RFC 8445 §5.1.2.1)
  params.tie_breaker = (std::uint64_t{randomUint32()} << 32) | randomUint32();
  params.controlling = true;
  params.use_candidate = true;  // aggressive nomination: one pair, nominated at once
  RAND_bytes(params.transaction_id.data(), static_cast<int>(params.transaction_id.size()));
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(rtc::buildBindingRequest(params)), server_, 0, ec);
  last_check_ = Clock::now();
  ++ice_attempts_;
}

void WhepViewer::armTimer() {
  timer_.expires_after(kCheckInterval);
  timer_.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec) self->onTimer();
  });
}

void WhepViewer::onTimer() {
  if (state_ == State::kStopped || state_ == State::kFailed) return;
  if (!silent_) {
    const auto now = Clock::now();
    if (state_ == State::kIce) {
      if (ice_attempts_ >= kMaxChecks) return fail("no answer to connectivity checks");
      sendBindingRequest();
    } else if (options_.consent && now - last_check_ >= options_.consent_interval) {
      sendBindingRequest();
    }
    if (dtls_ && state_ == State::kDtls) {
      if (auto timeout = dtls_->nextTimeout(); timeout && timeout->count() <= 0) {
        std::vector<std::string> out;
        dtls_->onTimeout(out);
        sendDatagrams(out);
      }
      if (dtls_->state() == rtc::DtlsSession::State::kFailed) {
        return fail("DTLS: " + dtls_->failure());
      }
    }
  }
  armTimer();
}

void WhepViewer::receive() {
  socket_.async_wait(udp::socket::wait_read,
                     [self = shared_from_this()](const boost::system::error_code& ec) {
                       if (ec == asio::error::operation_aborted) return;
                       if (self->state_ == State::kStopped) return;
                       self->drainSocket();
                       self->receive();
                     });
}

// Reads what has arrived, a bounded number of times per wakeup so one busy bot cannot starve
// the others on this thread.
void WhepViewer::drainSocket() {
  constexpr int kReadsPerWakeup = 64;
  for (int i = 0; i < kReadsPerWakeup && state_ != State::kStopped; ++i) {
    sockaddr_storage from{};
    iovec vector{buffer_.data(), buffer_.size()};
    alignas(cmsghdr) std::uint8_t control[CMSG_SPACE(sizeof(int))];
    msghdr message{};
    message.msg_name = &from;
    message.msg_namelen = sizeof(from);
    message.msg_iov = &vector;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof(control);
    const auto n = ::recvmsg(socket_.native_handle(), &message, MSG_DONTWAIT);
    if (n <= 0) return;  // EAGAIN: all read
    ++counts_.reads;
    udp::endpoint sender;
    if (message.msg_namelen > sender.capacity()) continue;
    std::memcpy(sender.data(), &from, message.msg_namelen);
    sender.resize(message.msg_namelen);
    if (silent_ || sender != server_) continue;
    // udp(7) UDP_GRO: the run's segment size; every datagram but the last has that length.
    auto segment = static_cast<std::size_t>(n);
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
        int size = 0;
        std::memcpy(&size, CMSG_DATA(c), sizeof(size));
        if (size > 0) segment = static_cast<std::size_t>(size);
      }
    }
    for (std::size_t offset = 0; offset < static_cast<std::size_t>(n); offset += segment) {
      onDatagram(buffer_.data() + offset,
                 std::min(segment, static_cast<std::size_t>(n) - offset));
      if (state_ == State::kStopped) return;
    }
  }
}

void WhepViewer::onDatagram(std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> datagram(data, size);
  switch (rtc::classifyPacket(datagram)) {
    case rtc::PacketClass::kStun: {
      auto message = rtc::parseStun(datagram);
      if (!message || message->type != rtc::kStunBindingSuccess) return;
      if (!rtc::checkStunIntegrity(datagram, *message, remote_pwd_)) return;
      if (state_ == State::kIce) {
        state_ = State::kDtls;
        std::vector<std::string> out;
        dtls_->start(out);  // ClientHello: the answer said setup:passive
        sendDatagrams(out);
      }
      return;
    }
    case rtc::PacketClass::kDtls: {
      std::vector<std::string> out;
      dtls_->onDatagram(datagram, out);
      sendDatagrams(out);
      if (state_ == State::kDtls && dtls_->state() == rtc::DtlsSession::State::kConnected) {
        auto srtp = rtc::makeSrtpSession(rtc::SrtpImplementation::kOpenSsl, dtls_->localKeys(),
                                         dtls_->remoteKeys());
        if (!srtp) return fail("SRTP: " + srtp.error().message);
        srtp_ = std::move(srtp.value());
        times_.connected = Clock::now() - started_;
        state_ = State::kReceiving;
      } else if (dtls_->state() == rtc::DtlsSession::State::kFailed) {
        fail("DTLS: " + dtls_->failure());
      }
      return;
    }
    case rtc::PacketClass::kRtp:
      if (state_ == State::kReceiving) onRtp(data, size);
      return;
    case rtc::PacketClass::kRtcp:
      if (state_ == State::kReceiving) onRtcp(data, size);
      return;
    default:
      return;
  }
}

void WhepViewer::onRtcp(std::uint8_t* data, std::size_t size) {
  std::size_t length = size;
  if (!srtp_->unprotectRtcp(data, length)) {
    ++counts_.decrypt_failures;
    return;
  }
  rtc::forEachRtcpPacket(std::span<const std::uint8_t>(data, length),
                         [&](const rtc::RtcpPacketView& view) {
                           if (view.packet_type != rtc::kRtcpSr) return;
                           const auto report = rtc::parseSenderReport(view);
                           if (report && (report->sender_ssrc == video_ssrc_ ||
                                          report->sender_ssrc == audio_ssrc_)) {
                             ++counts_.sender_reports;
                           }
                         });
}

void WhepViewer::onRtp(std::uint8_t* data, std::size_t size) {
  auto header = rtc::parseRtp(std::span<const std::uint8_t>(data, size));
  if (!header) return;
  if (!times_.first_rtp) times_.first_rtp = Clock::now() - started_;
  ++counts_.rtp_packets;
  counts_.rtp_bytes += size;
  SsrcTrack* track = header->ssrc == video_ssrc_ ? &video_ : header->ssrc == audio_ssrc_ ? &audio_
                                                                                         : nullptr;
  if (track) {
    if (!track->started) {
      track->started = true;
      track->first = track->last = header->sequence;
    } else if (rtc::sequenceNewer(header->sequence, track->last)) {
      if (header->sequence < track->last) ++track->cycles;
      track->last = header->sequence;
    } else {
      ++counts_.out_of_order;
    }
    ++track->received;
    if (track == &video_) ++counts_.video_packets; else ++counts_.audio_packets;
  }
  // A packet older than the newest seen is a retransmission of one we may already hold: the
  // SRTP replay check would rightly refuse it, so it is counted, not verified.
  if (track && header->sequence != track->last && track->received > 1 &&
      !rtc::sequenceNewer(header->sequence, track->last)) {
    return;
  }
  // Verify every packet until the first keyframe (which needs the payload), then a sample.
  const bool waiting_keyframe = !times_.first_keyframe && track == &video_;
  if (!waiting_keyframe && (packet_index_++ % static_cast<std::uint64_t>(
                                std::max(1, options_.decrypt_every))) != 0) {
    return;
  }
  std::size_t length = size;
  if (!srtp_->unprotectRtp(data, length)) {
    ++counts_.decrypt_failures;
    return;
  }
  ++counts_.decrypted;
  if (track != &video_) return;
  auto clear = rtc::parseRtp(std::span<const std::uint8_t>(data, length));
  if (!clear) return;
  const auto* payload = data + clear->header_size;
  const bool keyframe = options_.offer_codec == "H264"
                            ? h264KeyframeStart(payload, clear->payload_size)
                            : vp8KeyframeStart(payload, clear->payload_size);
  if (keyframe) {
    ++counts_.keyframes;
    if (!times_.first_keyframe) times_.first_keyframe = Clock::now() - started_;
    if (const auto picture = media::vp8KeyframeSize(
            std::span<const std::uint8_t>(payload, clear->payload_size))) {
      counts_.keyframe_width = picture->width;
      counts_.keyframe_height = picture->height;
    }
  }
}

WhepViewer::Counts WhepViewer::counts() const {
  Counts c = counts_;
  c.expected = 0;
  for (const auto* track : {&video_, &audio_}) {
    if (!track->started) continue;
    c.expected += track->cycles * 65536 + track->last - track->first + 1;
  }
  return c;
}

void WhepViewer::sendRtcp(std::string packet) {
  if (!srtp_ || silent_) return;
  std::vector<std::uint8_t> buffer(packet.begin(), packet.end());
  buffer.resize(packet.size() + rtc::kSrtpMaxOverhead);
  std::size_t length = packet.size();
  if (!srtp_->protectRtcp(buffer.data(), length)) return;
  boost::system::error_code ec;
  socket_.send_to(asio::buffer(buffer.data(), length), server_, 0, ec);
}

void WhepViewer::sendNack(std::uint16_t sequence) {
  std::string packet;
  rtc::RtcpReceiverReport report;
  report.sender_ssrc = own_ssrc_;
  rtc::appendReceiverReport(packet, report);  // a compound starts with a report (RFC 3550 §6.1)
  rtc::RtcpNack nack;
  nack.sender_ssrc = own_ssrc_;
  nack.media_ssrc = video_ssrc_;
  nack.sequences = {sequence};
  rtc::appendNack(packet, nack);
  sendRtcp(std::move(packet));
}

void WhepViewer::sendReceiverReport(std::uint8_t fraction_lost) {
  std::string packet;
  rtc::RtcpReceiverReport report;
  report.sender_ssrc = own_ssrc_;
  rtc::RtcpReportBlock block;
  block.ssrc = video_ssrc_;
  block.fraction_lost = fraction_lost;
  block.highest_sequence = video_.last;
  report.blocks.push_back(block);
  rtc::appendReceiverReport(packet, report);
  sendRtcp(std::move(packet));
}

void WhepViewer::sendPli() {
  std::string packet;
  rtc::RtcpReceiverReport report;
  report.sender_ssrc = own_ssrc_;
  rtc::appendReceiverReport(packet, report);
  rtc::appendPli(packet, rtc::RtcpPli{own_ssrc_, video_ssrc_});
  sendRtcp(std::move(packet));
}

void WhepViewer::sendDatagrams(const std::vector<std::string>& datagrams) {
  if (silent_) return;
  boost::system::error_code ec;
  for (const auto& datagram : datagrams) socket_.send_to(asio::buffer(datagram), server_, 0, ec);
}

void WhepViewer::goSilent() { silent_ = true; }

void WhepViewer::fail(std::string why) {
  if (state_ == State::kStopped || state_ == State::kFailed) return;
  failure_ = std::move(why);
  state_ = State::kFailed;
}

void WhepViewer::stop(bool delete_session) {
  if (state_ == State::kStopped) return;
  const bool had_session = !location_.empty();
  state_ = State::kStopped;
  timer_.cancel();
  boost::system::error_code ec;
  socket_.close(ec);
  if (!delete_session || !had_session) return;
  // Fire and forget: the DELETE's answer changes nothing for the bot.
  auto stream = std::make_shared<beast::tcp_stream>(io_);
  auto request = std::make_shared<http::request<http::empty_body>>(http::verb::delete_,
                                                                   location_, 11);
  request->set(http::field::host, options_.host);
  const auto address = asio::ip::make_address(options_.host, ec);
  if (ec) return;
  stream->expires_after(kHttpTimeout);
  stream->async_connect(asio::ip::tcp::endpoint(address, options_.http_port),
                        [stream, request](beast::error_code connect_error) {
    if (connect_error) return;
    http::async_write(*stream, *request, [stream, request](beast::error_code, std::size_t) {
      auto buffer = std::make_shared<beast::flat_buffer>();
      auto response = std::make_shared<http::response<http::string_body>>();
      http::async_read(*stream, *buffer, *response,
                       [stream, buffer, response](beast::error_code, std::size_t) {});
    });
  });
}

}  // namespace throng::bench
