// WritePacer on its own: which connections a tick writes for, keeps and lets go, and when. The ticks are
// called by hand; the io_context never runs, so its timer never fires.
#include "chat/write_pacer.h"

#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace throng::chat {
namespace {

using namespace std::chrono_literals;

// Writes at a window's end while it has something queued, as the TCP transport does.
struct FakeConnection final : PacedConnection {
  bool onWindowEnd() override {
    ++window_ends;
    if (queued == 0) return false;
    queued = 0;
    ++writes;
    return true;
  }
  int queued = 0;
  int writes = 0;
  int window_ends = 0;
};

class WritePacerTest : public ::testing::Test {
 protected:
  // One period: every window started before it has ended by its end.
  void period() {
    for (std::size_t i = 0; i < WritePacer::kSlots; ++i) pacer_.tick();
  }

  boost::asio::io_context io_;
  WritePacer pacer_{io_.get_executor(), 50ms};
};

TEST_F(WritePacerTest, AConnectionWithNothingQueuedLeavesWhenItsWindowEnds) {
  auto quiet = std::make_shared<FakeConnection>();
  pacer_.startWindow(quiet);
  EXPECT_EQ(pacer_.listed(), 1u);
  period();
  EXPECT_EQ(quiet->window_ends, 1);
  EXPECT_EQ(quiet->writes, 0);
  EXPECT_EQ(pacer_.listed(), 0u);
  EXPECT_EQ(quiet.use_count(), 1);  // the pacer let go of it
}

TEST_F(WritePacerTest, WhatAWindowGatheredIsWrittenAtItsEndAndANewWindowOpens) {
  auto busy = std::make_shared<FakeConnection>();
  auto quiet = std::make_shared<FakeConnection>();
  pacer_.startWindow(busy);
  pacer_.startWindow(quiet);
  busy->queued = 3;  // three stanzas held back during the window
  period();
  EXPECT_EQ(busy->writes, 1);  // all three in one write
  EXPECT_EQ(pacer_.listed(), 1u);
  period();  // nothing came during the second window
  EXPECT_EQ(busy->window_ends, 2);
  EXPECT_EQ(busy->writes, 1);
  EXPECT_EQ(pacer_.listed(), 0u);
}

TEST_F(WritePacerTest, WindowsLastMoreThanHalfAPeriodAndEndAtSpreadOutTicks) {
  // A room's occupants all start a window at the same moment (the same stanza reached them).
  std::vector<std::shared_ptr<FakeConnection>> room;
  for (int i = 0; i < 64; ++i) {
    room.push_back(std::make_shared<FakeConnection>());
    pacer_.startWindow(room.back());
  }
  for (std::size_t i = 0; i < WritePacer::kSlots / 2; ++i) pacer_.tick();
  for (const auto& connection : room) EXPECT_EQ(connection->window_ends, 0);  // not before T/2
  // Then they end over the rest of the period, a few at each tick, not all on one.
  std::size_t most_on_one_tick = 0;
  for (std::size_t i = WritePacer::kSlots / 2; i < WritePacer::kSlots; ++i) {
    const std::size_t before = pacer_.listed();
    pacer_.tick();
    most_on_one_tick = std::max(most_on_one_tick, before - pacer_.listed());
  }
  EXPECT_EQ(pacer_.listed(), 0u);
  for (const auto& connection : room) EXPECT_EQ(connection->window_ends, 1);
  EXPECT_LT(most_on_one_tick, room.size() / 2);
}

TEST_F(WritePacerTest, StopReleasesEveryConnection) {
  auto connection = std::make_shared<FakeConnection>();
  pacer_.startWindow(connection);
  pacer_.stop();
  EXPECT_EQ(pacer_.listed(), 0u);
  EXPECT_EQ(connection.use_count(), 1);
  EXPECT_EQ(connection->window_ends, 0);
}

}  // namespace
}  // namespace throng::chat
