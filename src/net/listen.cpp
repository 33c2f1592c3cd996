#include "net/listen.h"

#include "net/worker.h"

#include <fmt/format.h>

#include <sys/socket.h>

namespace throng::net {

namespace asio = boost::asio;
using asio::ip::tcp;

Result<tcp::acceptor> openReusePortAcceptor(asio::io_context& io, const tcp::endpoint& endpoint,
                                            int backlog) {
  tcp::acceptor acceptor(io);
  boost::system::error_code ec;
  auto fail = [&](const char* step) {
    return makeError(fmt::format("cannot {} {}:{}: {}", step, endpoint.address().to_string(),
                                 endpoint.port(), ec.message()));
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open socket for");
  acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (ec) return fail("set SO_REUSEADDR on");
  int one = 1;
  if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    ec.assign(errno, boost::system::system_category());
    return fail("set SO_REUSEPORT on");
  }
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(backlog, ec);
  if (ec) return fail("listen on");
  return Result<tcp::acceptor>(std::move(acceptor));
}

Result<std::vector<tcp::acceptor>> openAcceptorsOnWorkers(const tcp::endpoint& endpoint,
                                                          const std::vector<Worker*>& workers,
                                                          int backlog) {
  std::vector<tcp::acceptor> acceptors;
  tcp::endpoint next = endpoint;
  for (auto* worker : workers) {
    auto acceptor = openReusePortAcceptor(worker->context(), next, backlog);
    if (!acceptor) return acceptor.error();
    next.port(acceptor->local_endpoint().port());
    acceptors.push_back(std::move(acceptor.value()));
  }
  return acceptors;
}

Result<asio::ip::address> parseAddress(const std::string& text, const std::string& what) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(text, ec);
  if (ec) return makeError(fmt::format("{}: '{}' is not an IP address", what, text));
  return address;
}

}  // namespace throng::net
