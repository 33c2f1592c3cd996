#include "chat/xmpp_tcp.h"

#include "chat/write_pacer.h"
#include "net/listen.h"
#include "net/worker.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <array>
#include <cerrno>
#include <deque>
#include <span>
#include <unordered_set>

namespace throng::chat {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// One read per loop turn of at most this much: large enough for a burst of stanzas, small
// enough that one client cannot hold the worker for long.
constexpr std::size_t kReadChunkBytes = 16 * 1024;
// At most this many queued buffers go into one sendmsg (IOV_MAX is 1024 on Linux): 85 routed
// stanzas, tens of KiB, more than a pacing window gathers for one reader. (Asio's async_write
// would split them into writev calls of 16.)
constexpr std::size_t kMaxIovecs = 256;
// RFC 6120 §4.4: after our closing tag the peer should close too; we wait this long for it,
// not forever.
constexpr auto kCloseLinger = std::chrono::seconds(10);

// What the connections of one worker share for writing; touched only on that worker.
struct WorkerWrites {
  std::optional<WritePacer> pacer;  // unset: xmpp.fanout_flush_ms = 0, nothing is held back
  // One sendmsg's buffer list. sendmsg copies the bytes before it returns, so every connection
  // of the worker can use the same array: no allocation and no per-connection array per write.
  std::array<iovec, kMaxIovecs> iov{};
};

// One client connection: socket, outbox, the stream's timer, and the ClientStream.
//
// Writing (design.md §4 step 5): the outbox is flushed once per loop turn — whatever one
// handler queued (a join's presences, history and subject; a header and its features) goes in
// one write — by sendmsg straight from the shared buffers on the non-blocking socket; only
// what the kernel does not take waits for the socket to become writable. Room fan-out
// (Pace::kCoalesced) is held back while the connection's pacing window is open
// (write_pacer.h); anything else is written this turn, and takes the held stanzas with it.
//
// Lifetime: owned by the handlers of its pending operations (shared_from_this), and by the
// worker's pacer while a window is open. Every way a connection ends goes through finish(),
// which unregisters it and tells the stream, once.
class TcpClient final : public ClientStreamTransport,
                        public PacedConnection,
                        public std::enable_shared_from_this<TcpClient> {
 public:
  TcpClient(tcp::socket socket, ChatService& service, std::shared_ptr<TransportCounters> counters,
            const XmppTcpOptions& options, WorkerWrites& writes)
      : socket_(std::move(socket)),
        counters_(std::move(counters)),
        stream_counters_(service.currentShard().counters()),
        writes_(writes),
        pacer_(writes.pacer ? &*writes.pacer : nullptr),
        budget_(options.outbox_budget_bytes),
        tls_context_(options.tls),
        timer_(socket_.get_executor()),
        read_pause_(socket_.get_executor()),
        stream_(service.options(), streamOptions(socket_, options, service), *this,
                service.currentShard(),
                [&service](std::string_view user, sasl::ScramHash hash) {
                  return service.accounts().lookup(user, hash);
                },
                &ChatService::randomId) {
    counters_->open_connections.fetch_add(1, std::memory_order_relaxed);
    // Writes are sendmsg calls that must not block the worker (reads are Asio's).
    boost::system::error_code ignored;
    socket_.native_non_blocking(true, ignored);
  }
  ~TcpClient() override {
    stream_.onTransportClosed();
    counters_->open_connections.fetch_sub(1, std::memory_order_relaxed);
  }

  void start(std::unordered_set<TcpClient*>& registry) {
    registry_ = &registry;
    registry.insert(this);
    stream_.start();
    read();
  }
  void drain() { stream_.fail("system-shutdown", "the server is shutting down"); }

  SendOutcome send(SharedBytes bytes) override {
    if (closing_ || dead_) return SendOutcome::kClosed;
    if (!fits(bytes.size())) return SendOutcome::kCutOff;
    queued_ += bytes.size();
    outbox_.push_back(std::move(bytes));
    urgent_ = true;
    flushSoon();
    return SendOutcome::kQueued;
  }

  SendOutcome sendPieces(const SharedBytes& head, const SharedBytes& to, const SharedBytes& tail,
                         Delivery delivery, Pace pace) override {
    if (closing_ || dead_) return SendOutcome::kClosed;
    const std::size_t size = head.size() + to.size() + tail.size();
    // Shed first (design.md §4 step 6): past half the budget, presences wait for no one.
    if (delivery == Delivery::kSheddable && (queued_ + size) * 2 > budget_) {
      return SendOutcome::kShed;
    }
    if (!fits(size)) return SendOutcome::kCutOff;
    queued_ += size;
    outbox_.push_back(head);
    outbox_.push_back(to);
    outbox_.push_back(tail);
    if (pace == Pace::kAtOnce) urgent_ = true;
    // In an open window, fan-out waits for its end (onWindowEnd) to share one write.
    if (!paced_ || urgent_) flushSoon();
    return SendOutcome::kQueued;
  }

  void close() override {
    if (closing_ || dead_) return;
    closing_ = true;
    if (tls_pending_) {
      // Mid-handshake there is no stream to write a closing tag into.
      finishLater();
      return;
    }
    flushSoon();
  }

  void armTimer(std::chrono::steady_clock::duration delay) override {
    if (dead_) return;
    timer_.expires_after(delay);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->stream_.onTimer();
    });
  }

  void startTls() override {
    // Everything queued so far, <proceed/> last, goes out in the clear; what is queued after
    // it waits for the handshake (RFC 6120 §5.4.3.3).
    tls_pending_ = true;
    clear_left_ = outbox_.size();
    urgent_ = true;
    flushSoon();
  }

  // PacedConnection: the worker's pacer ends the window this connection opened by writing.
  bool onWindowEnd() override {
    const std::size_t writable = tls_pending_ ? clear_left_ : outbox_.size();
    if (dead_ || writing_ || writable == 0) {
      // Nothing held back. A write still under way outlasted the window: its completion
      // writes what follows at once, and opens the next window.
      paced_ = false;
      return false;
    }
    flush();  // what the window gathered, in one write; paced_ stays set: a new window
    return !dead_;
  }

 private:
  static ClientStreamOptions streamOptions(const tcp::socket& socket,
                                           const XmppTcpOptions& options, ChatService& service) {
    const bool loopback = remoteIsLoopback(socket);
    ClientStreamOptions stream;
    stream.framed = false;
    stream.plain_allowed = loopback;
    stream.counters = &service.currentShard().counters();
    stream.tls_offered = options.tls != nullptr;
    // RFC 6120 §5.3.1 leaves mandatory TLS to policy: ours is "everyone but loopback", where
    // nothing crosses a network and local tools and tests need not carry certificates.
    stream.tls_required = stream.tls_offered && !loopback;
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    if (!ec) stream.remote_address = remote.address().to_string();
    return stream;
  }

  static bool remoteIsLoopback(const tcp::socket& socket) {
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    return !ec && remote.address().is_loopback();
  }

  // False, and the connection cut off, when `size` more bytes would exceed the budget:
  // design.md §4 step 6, a reader that cannot keep up is disconnected (ClientStream counts
  // it). No stream error: the socket is not taking bytes, so it would never be read.
  bool fits(std::size_t size) {
    if (queued_ + size <= budget_) return true;
    finishLater();
    return false;
  }

  // Drops the connection now; the stream hears of it from the loop, not from inside the call
  // that got here (which may be the chat core walking its streams).
  void finishLater() {
    dead_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->finish(); });
  }

  // Calls f(stream) with the plain socket or, after STARTTLS, the TLS stream over it.
  template <class F>
  void withStream(F&& f) {
    if (tls_) {
      f(*tls_);
    } else {
      f(socket_);
    }
  }

  void read() {
    reading_ = true;
    withStream([this](auto& stream) {
      stream.async_read_some(
          asio::buffer(buffer_),
          [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
            self->onRead(ec, n);
          });
    });
  }

  void onRead(boost::system::error_code ec, std::size_t n) {
    reading_ = false;
    if (ec == asio::error::operation_aborted && tlsClosing()) {
      tlsShutdown();  // shutdown() cancelled this read to send close_notify
      return;
    }
    if (ec || dead_) {
      finish();
      return;
    }
    const auto pause = stream_.onBytes(std::string_view(buffer_.data(), n));
    if (dead_) {
      finish();
      return;
    }
    if (tls_pending_) return;  // handshake() reads on once TLS is up
    if (tlsClosing()) {
      tlsShutdown();
      return;
    }
    if (pause > std::chrono::steady_clock::duration::zero()) {
      // xmpp.rate_bytes_*: bytes stay in the kernel (and the client's send buffer) meanwhile.
      read_pause_.expires_after(pause);
      read_pause_.async_wait([self = shared_from_this()](boost::system::error_code wait_ec) {
        if (!wait_ec && !self->dead_ && !self->tlsClosing()) self->read();
      });
      return;
    }
    read();
  }

  // Flushes once the handler running now is done, so that what it queues shares one write.
  void flushSoon() {
    if (flush_posted_ || writing_ || dead_) return;
    flush_posted_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] {
      self->flush_posted_ = false;
      self->flush();
    });
  }

  // Writes everything queued (design.md §4 step 5), unless a write is under way, then goes
  // on to the TLS handshake or the close that was waiting for the outbox to empty.
  void flush() {
    if (writing_ || dead_) return;
    for (;;) {
      const std::size_t writable = tls_pending_ ? clear_left_ : outbox_.size();
      if (writable == 0) {
        if (tls_pending_) {
          handshake();
        } else if (closing_) {
          shutdown();
        }
        return;
      }
      if (pacer_ != nullptr && !paced_) {
        paced_ = true;  // this write opens a window (write_pacer.h)
        pacer_->startWindow(shared_from_this());
      }
      if (tls_) {
        writeTls(writable);
        return;
      }
      if (!writePlain(writable)) return;
    }
  }

  // One sendmsg of up to kMaxIovecs queued buffers. True when the kernel took all of them;
  // otherwise the rest waits for the socket to become writable (or the connection is gone).
  bool writePlain(std::size_t writable) {
    urgent_ = false;  // everything queued is being written now, or as soon as the socket takes it
    const std::size_t count = std::min(writable, kMaxIovecs);
    std::size_t total = 0;
    for (std::size_t i = 0; i < count; ++i) {
      auto view = outbox_[i].view();
      if (i == 0) view.remove_prefix(front_written_);
      writes_.iov[i] = iovec{const_cast<char*>(view.data()), view.size()};
      total += view.size();
    }
    msghdr message{};
    message.msg_iov = writes_.iov.data();
    message.msg_iovlen = count;
    stream_counters_.tcp_writes.fetch_add(1, std::memory_order_relaxed);
    // MSG_NOSIGNAL: a peer that has gone is an error code here, not a SIGPIPE.
    const ssize_t sent = ::sendmsg(socket_.native_handle(), &message, MSG_NOSIGNAL);
    if (sent < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        awaitWritable();
      } else {
        finishLater();  // the caller may be a room's fan-out loop: the stream hears it later
      }
      return false;
    }
    consume(static_cast<std::size_t>(sent));
    if (static_cast<std::size_t>(sent) == total) return true;
    awaitWritable();  // the socket's send buffer is full: a slow reader
    return false;
  }

  // Drops `bytes` written from the front of the outbox.
  void consume(std::size_t bytes) {
    while (!outbox_.empty()) {
      const std::size_t left = outbox_.front().size() - front_written_;
      if (bytes < left) {
        front_written_ += bytes;
        return;
      }
      bytes -= left;
      queued_ -= outbox_.front().size();
      outbox_.pop_front();
      front_written_ = 0;
      if (tls_pending_) --clear_left_;
    }
  }

  void awaitWritable() {
    writing_ = true;
    socket_.async_wait(tcp::socket::wait_write,
                       [self = shared_from_this()](boost::system::error_code ec) {
                         self->writing_ = false;
                         if (ec) {
                           self->finish();
                           return;
                         }
                         self->flush();  // what waited for a slow reader goes at once
                       });
  }

  // Over TLS, Beast's ssl_stream coalesces the buffers into records of up to 16 KiB; the
  // buffer list lives in a member, reused, until the write completes.
  void writeTls(std::size_t writable) {
    writing_ = true;
    in_flight_ = std::min(writable, kMaxIovecs);
    if (in_flight_ == writable) urgent_ = false;
    tls_buffers_.clear();
    for (std::size_t i = 0; i < in_flight_; ++i) {
      const auto view = outbox_[i].view();
      tls_buffers_.emplace_back(view.data(), view.size());
    }
    stream_counters_.tcp_writes.fetch_add(1, std::memory_order_relaxed);
    asio::async_write(*tls_, std::span<const asio::const_buffer>(tls_buffers_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->onTlsWritten(ec);
                      });
  }

  void onTlsWritten(boost::system::error_code ec) {
    writing_ = false;
    for (std::size_t i = 0; i < in_flight_; ++i) {
      queued_ -= outbox_.front().size();
      outbox_.pop_front();
    }
    if (ec) {
      finish();
      return;
    }
    // In an open window, fan-out queued meanwhile waits for its end; the rest goes now.
    if (paced_ && !urgent_ && !closing_) return;
    flush();
  }

  void handshake() {
    if (tls_ || dead_) return;
    tls_.emplace(socket_, *tls_context_);
    tls_->async_handshake(asio::ssl::stream_base::server,
                          [self = shared_from_this()](boost::system::error_code ec) {
                            if (ec || self->dead_) {
                              self->finish();
                              return;
                            }
                            self->tls_pending_ = false;
                            self->flush();
                            self->read();
                          });
  }

  // Our side is done (the outbox is empty): close our direction and give the peer
  // kCloseLinger to close theirs.
  void shutdown() {
    if (shut_down_) return;
    shut_down_ = true;
    timer_.expires_after(kCloseLinger);
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->finish();
    });
    if (tls_) {
      // RFC 8446 §6.1: close_notify before closing the write side. Asio's TLS shutdown reads
      // (the peer's close_notify) and must not race our pending read: that read is cancelled
      // and the shutdown starts from its handler.
      if (reading_) {
        boost::system::error_code ignored;
        socket_.cancel(ignored);
      } else {
        read_pause_.cancel();
        tlsShutdown();
      }
      return;
    }
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }

  bool tlsClosing() const { return tls_ && shut_down_ && !dead_; }

  void tlsShutdown() {
    if (tls_shutdown_started_) return;
    tls_shutdown_started_ = true;
    tls_->async_shutdown([self = shared_from_this()](boost::system::error_code) {
      self->finish();
    });
  }

  // The one way out: idempotent; the connection is gone once its pending handlers have run.
  void finish() {
    if (finished_) return;
    finished_ = true;
    dead_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
    read_pause_.cancel();
    if (registry_) registry_->erase(this);
    registry_ = nullptr;
    stream_.onTransportClosed();
  }

  tcp::socket socket_;
  std::optional<boost::beast::ssl_stream<tcp::socket&>> tls_;  // after STARTTLS; over socket_
  std::shared_ptr<TransportCounters> counters_;
  StreamCounters& stream_counters_;  // the worker's; outlives its connections
  WorkerWrites& writes_;             // the worker's; outlives its connections
  WritePacer* pacer_;                // in writes_; null: fan-out is not held back
  std::size_t budget_;
  asio::ssl::context* tls_context_;  // non-owning; null: no STARTTLS
  asio::steady_timer timer_;         // the stream's deadline, then the close linger
  asio::steady_timer read_pause_;    // xmpp.rate_bytes_*: when to read again
  std::array<char, kReadChunkBytes> buffer_{};
  std::deque<SharedBytes> outbox_;
  std::size_t queued_ = 0;
  std::size_t front_written_ = 0;  // bytes of outbox_.front() a partial sendmsg has written
  std::size_t in_flight_ = 0;      // outbox entries in the TLS write under way
  std::vector<asio::const_buffer> tls_buffers_;  // that write's buffer list
  std::size_t clear_left_ = 0;  // outbox entries still to write before the TLS handshake
  bool writing_ = false;  // a TLS write is under way, or a plain one waits for the socket
  bool flush_posted_ = false;  // flushSoon() is pending
  bool paced_ = false;    // a pacing window is open: fan-out waits for its end
  bool urgent_ = false;   // something queued must not wait for the window's end
  bool closing_ = false;
  bool tls_pending_ = false;  // <proceed/> queued; TLS not up yet
  bool dead_ = false;         // nothing more is read or written
  bool reading_ = false;    // a read is pending
  bool shut_down_ = false;  // our side is closed; waiting (kCloseLinger) for the peer's
  bool tls_shutdown_started_ = false;
  bool finished_ = false;
  std::unordered_set<TcpClient*>* registry_ = nullptr;  // the worker's; outlives us
  ClientStream stream_;  // last: it calls into the members above while being destroyed
};

}  // namespace

struct XmppTcpServer::Slot {
  net::Worker* worker;
  std::optional<tcp::acceptor> acceptor;
  WorkerWrites writes;                     // touched only on `worker`
  std::unordered_set<TcpClient*> clients;  // touched only on `worker`
};

XmppTcpServer::XmppTcpServer(XmppTcpOptions options, ChatService& service,
                             std::vector<net::Worker*> workers)
    : options_(std::move(options)),
      service_(service),
      counters_(std::make_shared<TransportCounters>()) {
  for (auto* worker : workers) {
    auto slot = std::make_unique<Slot>();
    slot->worker = worker;
    if (options_.fanout_flush > std::chrono::milliseconds::zero()) {
      slot->writes.pacer.emplace(worker->context().get_executor(), options_.fanout_flush);
    }
    slots_.push_back(std::move(slot));
  }
}

XmppTcpServer::~XmppTcpServer() = default;

Result<std::uint16_t> XmppTcpServer::listen() {
  return net::listenOnSlots(slots_, options_.endpoint, options_.backlog);
}

void XmppTcpServer::start() {
  for (auto& slot : slots_) {
    Slot* s = slot.get();
    s->worker->post([this, s] { accept(*s); });
  }
}

void XmppTcpServer::accept(Slot& slot) {
  slot.acceptor->async_accept(
      slot.worker->context(), [this, &slot](boost::system::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !slot.acceptor->is_open()) return;
        if (!ec) {
          counters_->accepted.fetch_add(1, std::memory_order_relaxed);
          boost::system::error_code ignored;
          socket.set_option(tcp::no_delay(true), ignored);
          std::make_shared<TcpClient>(std::move(socket), service_, counters_, options_,
                                      slot.writes)
              ->start(slot.clients);
        }
        accept(slot);
      });
}

void XmppTcpServer::beginDrain() {
  for (auto& slot : slots_) {
    Slot* s = slot.get();
    s->worker->post([s] {
      boost::system::error_code ignored;
      if (s->acceptor) s->acceptor->close(ignored);
      std::vector<TcpClient*> clients(s->clients.begin(), s->clients.end());
      for (auto* client : clients) {
        if (s->clients.count(client) != 0) client->drain();
      }
    });
  }
}

}  // namespace throng::chat
