// Internal: a WebSocket connection after an upgrade, over a plain or TLS stream.
// Lives on one worker; see http/websocket.h for the public interface.
#pragma once

#include "http/connection.h"
#include "http/websocket.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <cassert>
#include <chrono>
#include <deque>
#include <type_traits>

namespace throng::http {

template <class Stream>
class WebSocketSession final : public Connection,
                               public WebSocketConnection,
                               public std::enable_shared_from_this<WebSocketSession<Stream>> {
 public:
  WebSocketSession(ConnectionContext context, Stream&& stream, WebSocketHandler& handler,
                   boost::asio::ip::address remote)
      : Connection(std::move(context)), ws_(std::move(stream)), handler_(handler),
        remote_(std::move(remote)), read_timer_(ws_.get_executor()) {}

  void accept(Request upgrade) {
    namespace websocket = boost::beast::websocket;
    // The WebSocket layer keeps its own timers; the TCP stream's must be off (Beast docs).
    boost::beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout timeout = websocket::stream_base::timeout::suggested(
        boost::beast::role_type::server);
    timeout.idle_timeout = context_.options->limits.idle_timeout;
    timeout.keep_alive_pings = true;
    ws_.set_option(timeout);
    ws_.read_message_max(handler_.maxMessageBytes());
    // One frame per message: Beast would otherwise split messages over its 4 KiB write buffer
    // into several frames, each its own write. Server frames are unmasked, so a message of any
    // size goes out as one gather write of the header and the caller's buffers.
    ws_.auto_fragment(false);
    const std::string protocol(handler_.subprotocol());
    ws_.set_option(websocket::stream_base::decorator([protocol](websocket::response_type& res) {
      res.set(boost::beast::http::field::server, "throng");
      if (!protocol.empty()) res.set(boost::beast::http::field::sec_websocket_protocol, protocol);
    }));
    upgrade_ = std::move(upgrade);
    ws_.async_accept(upgrade_, [self = this->shared_from_this()](boost::beast::error_code ec) {
      self->onAccepted(ec);
    });
  }

  SendResult send(SharedBytes message) override {
    return sendPieces(std::span<const SharedBytes>(&message, 1));
  }

  SendResult sendPieces(std::span<const SharedBytes> pieces) override {
    assert(pieces.size() <= kMaxPieces);
    if (pieces.size() > kMaxPieces) return SendResult::kDropped;
    Outgoing message;
    for (std::size_t i = 0; i < pieces.size(); ++i) {
      message.pieces[i] = pieces[i];
      message.bytes += pieces[i].size();
    }
    if (closing_) return SendResult::kClosing;
    if (queued_bytes_ + message.bytes > handler_.outboxBudgetBytes()) return SendResult::kDropped;
    queued_bytes_ += message.bytes;
    outbox_.push_back(std::move(message));
    if (!writing_) writeNext();
    return SendResult::kQueued;
  }

  void abort() override {
    closing_ = true;
    close_sent_ = true;  // no close frame: the peer is not reading
    // Entries behind the one in flight go now; that one completes (with an error) below.
    while (outbox_.size() > (writing_ ? 1u : 0u)) {
      queued_bytes_ -= outbox_.back().bytes;
      outbox_.pop_back();
    }
    boost::system::error_code ignored;
    boost::beast::get_lowest_layer(ws_).socket().close(ignored);
    read_timer_.cancel();
    if (read_deferred_) {
      // No read is pending to fail and report the close: report it from the loop.
      read_deferred_ = false;
      boost::asio::post(ws_.get_executor(), [self = this->shared_from_this()] {
        self->onReadFailed(boost::asio::error::operation_aborted);
      });
    }
  }

  void deferNextRead(std::chrono::steady_clock::duration delay) override { read_delay_ = delay; }

  void close(std::uint16_t code, std::string_view reason) override {
    if (closing_) return;
    closing_ = true;
    close_reason_.code = code;
    // RFC 6455 §5.5: a control frame's payload is at most 125 bytes, 2 of them the code.
    const auto kept = reason.substr(0, close_reason_.reason.max_size());
    close_reason_.reason.assign(kept.data(), kept.size());
    if (!writing_) writeNext();
  }

  std::size_t queuedBytes() const override { return queued_bytes_; }
  const boost::asio::ip::address& remoteAddress() const override { return remote_; }
  bool secure() const override { return !std::is_same_v<Stream, boost::beast::tcp_stream>; }
  boost::asio::any_io_executor executor() override { return ws_.get_executor(); }

  void drain() override {
    close(static_cast<std::uint16_t>(boost::beast::websocket::close_code::going_away),
          "server shutting down");
  }

  ~WebSocketSession() override {
    if (listener_) listener_->onWebSocketClosed();
  }

 private:
  void onAccepted(boost::beast::error_code ec) {
    if (ec) return;  // the handshake failed: nothing was opened, the session just ends
    context_.counters->websocket_upgrades.fetch_add(1, std::memory_order_relaxed);
    listener_ = handler_.onWebSocketOpen(*this, upgrade_);
    upgrade_ = {};
    if (!listener_) {
      close(static_cast<std::uint16_t>(boost::beast::websocket::close_code::policy_error),
            "refused");
      return;
    }
    read();
  }

  void read() {
    ws_.async_read(buffer_, [self = this->shared_from_this()](boost::beast::error_code ec,
                                                               std::size_t) {
      if (ec) {
        self->onReadFailed(ec);
        return;
      }
      const auto data = self->buffer_.cdata();
      if (self->listener_) {
        self->listener_->onWebSocketMessage(
            std::string_view(static_cast<const char*>(data.data()), data.size()));
      }
      self->buffer_.consume(self->buffer_.size());
      if (self->read_delay_ > std::chrono::steady_clock::duration::zero() && !self->closing_) {
        self->read_timer_.expires_after(self->read_delay_);
        self->read_delay_ = {};
        self->read_deferred_ = true;
        self->read_timer_.async_wait([self](boost::beast::error_code wait_ec) {
          if (wait_ec || !self->read_deferred_) return;
          self->read_deferred_ = false;
          self->read();
        });
        return;
      }
      self->read();
    });
  }

  void onReadFailed(boost::beast::error_code ec) {
    if (ec == boost::beast::websocket::error::message_too_big) {
      // RFC 6455 §7.4.1: 1009, the message is too big to process. Beast answers it itself.
      spdlog::debug("websocket from {}: message over {} bytes", remote_.to_string(),
                    handler_.maxMessageBytes());
    }
    closing_ = true;
    // Tell the listener now rather than at destruction, so it stops sending at once.
    if (listener_) {
      auto listener = std::move(listener_);
      listener->onWebSocketClosed();
    }
  }

  void writeNext() {
    if (outbox_.empty()) {
      if (closing_ && !close_sent_) {
        close_sent_ = true;
        writing_ = true;
        ws_.async_close(close_reason_, [self = this->shared_from_this()](boost::beast::error_code) {
          self->writing_ = false;
        });
      }
      return;
    }
    writing_ = true;
    ws_.text(true);
    // One message per async_write: Beast writes one message at a time, and framing several
    // into one write ourselves would race with the control frames (pong, close) Beast sends.
    std::array<boost::asio::const_buffer, kMaxPieces> buffers;
    const auto& message = outbox_.front();
    for (std::size_t i = 0; i < kMaxPieces; ++i) {
      const auto view = message.pieces[i].view();
      buffers[i] = boost::asio::const_buffer(view.data(), view.size());
    }
    ws_.async_write(buffers,
                    [self = this->shared_from_this()](boost::beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      self->queued_bytes_ -= self->outbox_.front().bytes;
                      self->outbox_.pop_front();
                      if (ec) {
                        self->outbox_.clear();
                        self->queued_bytes_ = 0;
                        self->closing_ = true;
                        return;
                      }
                      self->writeNext();
                    });
  }

  // One queued message: its pieces (unused ones empty) and their total size.
  struct Outgoing {
    std::array<SharedBytes, kMaxPieces> pieces;
    std::size_t bytes = 0;
  };

  boost::beast::websocket::stream<Stream> ws_;
  WebSocketHandler& handler_;  // non-owning: registered handlers outlive the server
  boost::asio::ip::address remote_;
  Request upgrade_;
  std::unique_ptr<WebSocketListener> listener_;  // allocated by the handler, owned by this
  boost::beast::flat_buffer buffer_;
  std::deque<Outgoing> outbox_;
  std::size_t queued_bytes_ = 0;
  boost::asio::steady_timer read_timer_;  // deferNextRead()
  std::chrono::steady_clock::duration read_delay_{};
  bool read_deferred_ = false;  // read_timer_ stands where the pending read would be
  bool writing_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  boost::beast::websocket::close_reason close_reason_;
};

}  // namespace throng::http
