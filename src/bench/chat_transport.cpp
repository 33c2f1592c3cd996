#include "bench/chat_transport.h"

#include "bench/xml_scanner.h"
#include "proto/xml_element.h"

#include <netinet/in.h>

#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include <deque>
#include <memory>

namespace throng::bench {
namespace {

namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using tcp = asio::ip::tcp;

// Messages in a fan-out run are a few hundred bytes each, and a server that coalesces writes
// sends several per segment; a reader that fell behind finds many segments queued. 64 KiB
// takes such a backlog in one read (one recv and one ACK instead of several). The buffer is
// left uninitialised, so only the pages reads actually reach are resident: 10,000 clients whose
// reads stay under 4 KiB cost about 40 MB, not 640.
constexpr std::size_t kReadBufferBytes = 64 * 1024;
// Far above any stanza a server sends to these clients (throng's own stanza limit is 64 KiB).
constexpr std::size_t kMaxWebSocketMessage = 1 << 20;

// Opens and binds the socket to `source` with IP_BIND_ADDRESS_NO_PORT (Linux 4.2): the port is
// picked at connect time per 4-tuple, so each source address has the whole ephemeral range.
boost::system::error_code bindSource(tcp::socket& socket, const asio::ip::address_v4& source) {
  boost::system::error_code ec;
  socket.open(tcp::v4(), ec);
  if (ec) return ec;
#ifdef IP_BIND_ADDRESS_NO_PORT
  using NoPort = asio::detail::socket_option::boolean<IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT>;
  socket.set_option(NoPort(true), ec);  // best effort: without it bind() takes a port at once
#endif
  socket.bind(tcp::endpoint(source, 0), ec);
  return ec;
}

std::string streamHeader(std::string_view to) {
  std::string header = "<?xml version='1.0'?><stream:stream to='";
  proto::escapeAttribute(header, to);
  header +=
      "' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
  return header;
}

// Writes one queued buffer at a time, in order. The queue holds the few handshake steps or a
// talker's pending messages: it is bounded by what the client sends, never by what it reads.
template <class Derived>
class WriteQueue {
 protected:
  void enqueue(std::string bytes) {
    out_.push_back(std::move(bytes));
    if (out_.size() == 1) static_cast<Derived*>(this)->writeFront();
  }
  std::deque<std::string> out_;
};

class TcpTransport final : public ClientTransport,
                           public XmlScannerListener,
                           private WriteQueue<TcpTransport> {
  friend class WriteQueue<TcpTransport>;

 public:
  TcpTransport(asio::io_context& io, TransportListener& listener)
      : listener_(listener),
        socket_(io),
        scanner_(*this),
        buffer_(std::make_unique_for_overwrite<char[]>(kReadBufferBytes)) {}

  void connect(const tcp::endpoint& target, const asio::ip::address_v4& source) override {
    if (auto ec = bindSource(socket_, source)) {
      return lose("bind " + source.to_string() + ": " + ec.message());
    }
    socket_.async_connect(target, [this](const boost::system::error_code& ec) {
      if (closed_) return;
      if (ec) return lose("connect: " + ec.message());
      boost::system::error_code ignored;
      socket_.set_option(tcp::no_delay(true), ignored);  // small stanzas, latency measured
      read();
      listener_.onTransportConnected();
    });
  }

  void openStream(std::string_view to) override {
    scanner_.reset();  // a restart starts a new document (RFC 6120 §4.3.3)
    enqueue(streamHeader(to));
  }
  void send(std::string stanza) override { enqueue(std::move(stanza)); }
  void closeStream() override { enqueue("</stream:stream>"); }

  void close() override {
    closed_ = true;
    boost::system::error_code ignored;
    socket_.close(ignored);
  }
  std::uint64_t bytesReceived() const override { return bytes_; }

 private:
  void onScanOpen() override {}
  void onScanElement(std::string_view name, std::string_view raw) override {
    if (!closed_) listener_.onTransportElement(name, raw);
  }
  void onScanClose() override {
    if (!closed_) listener_.onTransportStreamClosed();
  }

  void read() {
    // async_read_some rather than a readiness wait and a read into one buffer per thread: Asio
    // reads in its reactor straight into this buffer, and after a short read waits for the next
    // edge without trying again, so a wake-up costs one recv and no epoll_ctl.
    socket_.async_read_some(
        asio::buffer(buffer_.get(), kReadBufferBytes),
        [this](const boost::system::error_code& ec, std::size_t n) {
          if (closed_) return;
          if (ec) {
            return lose(ec == asio::error::eof ? std::string("connection closed by the server")
                                               : "read: " + ec.message());
          }
          bytes_ += n;
          // Scanned in place: elements are views into the buffer (copied only when one spans
          // two reads), and nothing is allocated per message.
          if (auto error = scanner_.feed(std::string_view(buffer_.get(), n))) {
            return lose("xml: " + *error);
          }
          if (!closed_) read();
        });
  }

  void writeFront() {
    asio::async_write(socket_, asio::buffer(out_.front()),
                      [this](const boost::system::error_code& ec, std::size_t) {
                        if (closed_) return;
                        if (ec) return lose("write: " + ec.message());
                        out_.pop_front();
                        if (!out_.empty()) writeFront();
                      });
  }

  void lose(std::string reason) {
    if (closed_) return;
    close();
    listener_.onTransportLost(std::move(reason));
  }

  TransportListener& listener_;  // the client; outlives this transport
  tcp::socket socket_;
  XmlScanner scanner_;
  std::unique_ptr<char[]> buffer_;  // kReadBufferBytes, allocated by this, not zeroed
  std::uint64_t bytes_ = 0;
  bool closed_ = false;
};

// RFC 7395: one complete element per text message; <open/> and <close/> in the framing
// namespace start and end the stream.
class WebSocketTransport final : public ClientTransport,
                                 private WriteQueue<WebSocketTransport> {
  friend class WriteQueue<WebSocketTransport>;

 public:
  WebSocketTransport(asio::io_context& io, TransportListener& listener, std::string host,
                     std::string path)
      : listener_(listener), ws_(io), host_(std::move(host)), path_(std::move(path)) {}

  void connect(const tcp::endpoint& target, const asio::ip::address_v4& source) override {
    if (auto ec = bindSource(ws_.next_layer(), source)) {
      return lose("bind " + source.to_string() + ": " + ec.message());
    }
    ws_.next_layer().async_connect(target, [this](const boost::system::error_code& ec) {
      if (closed_) return;
      if (ec) return lose("connect: " + ec.message());
      boost::system::error_code ignored;
      ws_.next_layer().set_option(tcp::no_delay(true), ignored);
      ws_.read_message_max(kMaxWebSocketMessage);
      ws_.set_option(websocket::stream_base::decorator([](websocket::request_type& request) {
        request.set(boost::beast::http::field::sec_websocket_protocol, "xmpp");
      }));
      ws_.async_handshake(host_, path_, [this](const boost::system::error_code& hec) {
        if (closed_) return;
        if (hec) return lose("websocket handshake: " + hec.message());
        ws_.text(true);
        read();
        listener_.onTransportConnected();
      });
    });
  }

  void openStream(std::string_view to) override {
    std::string open = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='";
    proto::escapeAttribute(open, to);
    open += "' version='1.0'/>";
    enqueue(std::move(open));
  }
  void send(std::string stanza) override { enqueue(std::move(stanza)); }
  void closeStream() override {
    enqueue("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
  }
  void close() override {
    closed_ = true;
    boost::system::error_code ignored;
    ws_.next_layer().close(ignored);
  }
  std::uint64_t bytesReceived() const override { return bytes_; }

 private:
  void read() {
    ws_.async_read(buffer_, [this](const boost::system::error_code& ec, std::size_t n) {
      if (closed_) return;
      if (ec) {
        return lose(ec == websocket::error::closed ? std::string("websocket closed by the server")
                                                   : "read: " + ec.message());
      }
      bytes_ += n;  // payload bytes; the 2-4 byte frame headers are not counted
      const auto data = buffer_.cdata();
      std::string_view message(static_cast<const char*>(data.data()), data.size());
      deliver(message);
      buffer_.consume(buffer_.size());
      if (!closed_) read();
    });
  }

  void deliver(std::string_view message) {
    const auto lt = message.find('<');
    if (lt == std::string_view::npos) return;  // whitespace keepalive
    const auto end = message.find_first_of(" \t\r\n/>", lt + 1);
    const auto name = message.substr(lt + 1, end == std::string_view::npos ? std::string_view::npos
                                                                            : end - lt - 1);
    if (name == "open") return;
    if (name == "close") return listener_.onTransportStreamClosed();
    listener_.onTransportElement(name, message.substr(lt));
  }

  void writeFront() {
    ws_.async_write(asio::buffer(out_.front()),
                    [this](const boost::system::error_code& ec, std::size_t) {
                      if (closed_) return;
                      if (ec) return lose("write: " + ec.message());
                      out_.pop_front();
                      if (!out_.empty()) writeFront();
                    });
  }

  void lose(std::string reason) {
    if (closed_) return;
    close();
    listener_.onTransportLost(std::move(reason));
  }

  TransportListener& listener_;
  websocket::stream<tcp::socket> ws_;
  const std::string host_;
  const std::string path_;
  boost::beast::flat_buffer buffer_;
  std::uint64_t bytes_ = 0;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<ClientTransport> makeTcpTransport(asio::io_context& io,
                                                  TransportListener& listener) {
  return std::make_unique<TcpTransport>(io, listener);
}

std::unique_ptr<ClientTransport> makeWebSocketTransport(asio::io_context& io,
                                                        TransportListener& listener,
                                                        std::string host, std::string path) {
  return std::make_unique<WebSocketTransport>(io, listener, std::move(host), std::move(path));
}

}  // namespace throng::bench
