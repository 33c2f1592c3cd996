#include "chat/xmpp_tcp.h"

#include "net/listen.h"
#include "net/worker.h"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <deque>
#include <unordered_set>

namespace throng::chat {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// One read per loop turn of at most this much: large enough for a burst of stanzas, small
// enough that one client cannot hold the worker for long.
constexpr std::size_t kReadChunkBytes = 16 * 1024;
// At most this many queued buffers go into one writev (IOV_MAX is 1024 on Linux).
constexpr std::size_t kMaxIovecs = 256;

class TcpClient final : public ClientStreamTransport,
                        public std::enable_shared_from_this<TcpClient> {
 public:
  TcpClient(tcp::socket socket, ChatService& service, std::shared_ptr<XmppTcpCounters> counters,
            std::size_t budget)
      : socket_(std::move(socket)),
        counters_(std::move(counters)),
        budget_(budget),
        stream_(service.options(),
                ClientStreamOptions{/*framed=*/false, remoteIsLoopback(socket_),
                                    &service.currentShard().counters()}, *this,
                service.currentShard(),
                [&service](std::string_view user, sasl::ScramHash hash) {
                  return service.accounts().lookup(user, hash);
                },
                &ChatService::randomId) {
    counters_->open_connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~TcpClient() override {
    stream_.onTransportClosed();
    counters_->open_connections.fetch_sub(1, std::memory_order_relaxed);
  }

  void start(std::unordered_set<TcpClient*>& registry) {
    registry_ = &registry;
    registry.insert(this);
    read();
  }
  void drain() { stream_.fail("system-shutdown", "the server is shutting down"); }

  void send(SharedBytes bytes) override {
    if (closing_ || dead_) return;
    if (!fits(bytes.size())) return;
    queued_ += bytes.size();
    outbox_.push_back(std::move(bytes));
    if (!writing_) flush();
  }

  bool sendPieces(const SharedBytes& head, const SharedBytes& to, const SharedBytes& tail,
                  Delivery delivery) override {
    if (closing_ || dead_) return false;
    const std::size_t size = head.size() + to.size() + tail.size();
    // Shed first (design.md §4 step 6): past half the budget, presences wait for no one.
    if (delivery == Delivery::kSheddable && (queued_ + size) * 2 > budget_) return false;
    if (!fits(size)) return false;
    queued_ += size;
    outbox_.push_back(head);
    outbox_.push_back(to);
    outbox_.push_back(tail);
    if (!writing_) flush();
    return true;
  }

  void close() override {
    closing_ = true;
    if (!writing_) shutdown();
  }

 private:
  // False, and the connection cut off, when `size` more bytes would exceed the budget:
  // design.md §4 step 6, a reader that cannot keep up is disconnected, and counted.
  bool fits(std::size_t size) {
    if (queued_ + size <= budget_) return true;
    counters_->dropped_slow.fetch_add(1, std::memory_order_relaxed);
    dead_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
    return false;
  }

  static bool remoteIsLoopback(const tcp::socket& socket) {
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    return !ec && remote.address().is_loopback();
  }

  void read() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                              if (ec) {
                                self->finish();
                                return;
                              }
                              self->stream_.onBytes(std::string_view(self->buffer_.data(), n));
                              if (!self->dead_) self->read();
                            });
  }

  // Everything queued goes out in one writev (design.md §4 step 5).
  void flush() {
    if (outbox_.empty()) {
      if (closing_) shutdown();
      return;
    }
    writing_ = true;
    in_flight_ = std::min(outbox_.size(), kMaxIovecs);
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(in_flight_);
    for (std::size_t i = 0; i < in_flight_; ++i) {
      const auto view = outbox_[i].view();
      buffers.emplace_back(view.data(), view.size());
    }
    asio::async_write(socket_, buffers,
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->writing_ = false;
                        for (std::size_t i = 0; i < self->in_flight_; ++i) {
                          self->queued_ -= self->outbox_.front().size();
                          self->outbox_.pop_front();
                        }
                        if (ec) {
                          self->dead_ = true;
                          return;
                        }
                        self->flush();
                      });
  }

  void shutdown() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }

  void finish() {
    dead_ = true;
    if (registry_) registry_->erase(this);
    registry_ = nullptr;
    stream_.onTransportClosed();
  }

  tcp::socket socket_;
  std::shared_ptr<XmppTcpCounters> counters_;
  std::size_t budget_;
  std::array<char, kReadChunkBytes> buffer_{};
  std::deque<SharedBytes> outbox_;
  std::size_t queued_ = 0;
  std::size_t in_flight_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool dead_ = false;
  std::unordered_set<TcpClient*>* registry_ = nullptr;  // the worker's; outlives us
  ClientStream stream_;  // last: it calls into the members above while being destroyed
};

}  // namespace

struct XmppTcpServer::Slot {
  net::Worker* worker;
  std::optional<tcp::acceptor> acceptor;
  std::unordered_set<TcpClient*> clients;  // touched only on `worker`
};

XmppTcpServer::XmppTcpServer(XmppTcpOptions options, ChatService& service,
                             std::vector<net::Worker*> workers)
    : options_(std::move(options)),
      service_(service),
      counters_(std::make_shared<XmppTcpCounters>()) {
  for (auto* worker : workers) {
    auto slot = std::make_unique<Slot>();
    slot->worker = worker;
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
          std::make_shared<TcpClient>(std::move(socket), service_, counters_,
                                      options_.outbox_budget_bytes)
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
