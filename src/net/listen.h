// Listening sockets shared by all workers through SO_REUSEPORT: the kernel spreads new
// connections (and UDP flows) over the workers' sockets, and each stays where it lands.
#pragma once

#include "base/result.h"

#include <boost/asio/ip/tcp.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace throng::net {

// Opens a TCP acceptor bound with SO_REUSEPORT (and SO_REUSEADDR) on `endpoint`, listening
// with `backlog`. Bind errors (address in use, no such address) come back as an Error
// naming the address.
Result<boost::asio::ip::tcp::acceptor> openReusePortAcceptor(
    boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint, int backlog);

class Worker;

// One acceptor per worker on `endpoint`, each on its worker's io_context, in worker order.
// Port 0: the first socket picks a port and every other worker joins that one.
Result<std::vector<boost::asio::ip::tcp::acceptor>> openAcceptorsOnWorkers(
    const boost::asio::ip::tcp::endpoint& endpoint, const std::vector<Worker*>& workers,
    int backlog);

// For a server keeping one slot per worker (each with `Worker* worker` and
// `std::optional<tcp::acceptor> acceptor`): opens the acceptors into the slots and returns
// the bound port.
template <class SlotPtrs>
Result<std::uint16_t> listenOnSlots(SlotPtrs& slots, const boost::asio::ip::tcp::endpoint& endpoint,
                                    int backlog) {
  std::vector<Worker*> workers;
  for (auto& slot : slots) workers.push_back(slot->worker);
  auto acceptors = openAcceptorsOnWorkers(endpoint, workers, backlog);
  if (!acceptors) return acceptors.error();
  for (std::size_t i = 0; i < slots.size(); ++i) {
    slots[i]->acceptor.emplace(std::move(acceptors.value()[i]));
  }
  return slots.front()->acceptor->local_endpoint().port();
}

// Parses "127.0.0.1", "::1", "0.0.0.0" into an address, or an Error naming `what`.
Result<boost::asio::ip::address> parseAddress(const std::string& text, const std::string& what);

}  // namespace throng::net
