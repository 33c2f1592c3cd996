// What real-time encoding costs: mean time per frame for VP8 and H.264 at 1280x720 (2.5 Mbps)
// and 640x360 (1 Mbps), with the defaults the test source uses. Printed, not asserted: the
// figures depend on the machine. Wall time is per encode call; CPU time is the whole process
// during the calls (it includes encoder threads, if any). THRONG_ENCODE_COST_SWEEP=1 also tries
// other speeds and thread counts; THRONG_ENCODE_COST_FRAMES sets the frame count (default 60).
#include "media/h264_encoder.h"
#include "media/test_pattern.h"
#include "media/vp8_encoder.h"

#include <gtest/gtest.h>

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace throng::media {
namespace {

struct Cost {
  double wall_ms = 0;
  double cpu_ms = 0;
  double kbps = 0;
};

double processCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

int frameCount() {
  const char* env = std::getenv("THRONG_ENCODE_COST_FRAMES");
  const int n = env != nullptr ? std::atoi(env) : 0;
  return n > 0 ? n : 60;
}

bool sweep() {
  const char* env = std::getenv("THRONG_ENCODE_COST_SWEEP");
  return env != nullptr && std::string(env) == "1";
}

Cost measure(VideoEncoder& encoder, int width, int height, int fps) {
  TestPattern pattern(width, height);
  I420Frame frame;
  EncodedFrame out;
  Cost cost;
  std::size_t bytes = 0;
  const int frames = frameCount();
  const auto wall_clock = std::chrono::system_clock::now();
  for (int i = 0; i < frames; ++i) {
    pattern.render(frame, static_cast<std::uint64_t>(i),
                   wall_clock + std::chrono::milliseconds(i * 1000 / fps));
    const double cpu_before = processCpuMs();
    const auto before = std::chrono::steady_clock::now();
    const auto timestamp = static_cast<std::uint32_t>(i * 90000 / fps);
    EXPECT_TRUE(encoder.encodeInto(frame, false, timestamp, out));
    cost.wall_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - before)
            .count();
    cost.cpu_ms += processCpuMs() - cpu_before;
    bytes += out.data.size();
  }
  cost.wall_ms /= frames;
  cost.cpu_ms /= frames;
  cost.kbps = static_cast<double>(bytes) * 8.0 * fps / frames / 1000.0;
  return cost;
}

void print(const std::string& what, const Cost& c, int fps) {
  std::printf(
      "%-40s wall %6.2f ms/frame  cpu %6.2f ms/frame  = %4.0f%% of a core at %d fps"
      "  %5.0f kbps\n",
      what.c_str(), c.wall_ms, c.cpu_ms, c.cpu_ms * fps / 10.0, fps, c.kbps);
}

struct Size {
  int width, height, kbps;
};
constexpr Size kSizes[] = {{1280, 720, 2500}, {640, 360, 1000}};

// The picture itself, drawn on the same thread before each encode (an unoptimised build draws
// several times slower than an optimised one).
TEST(EncodeCost, Pattern) {
  for (const Size& size : kSizes) {
    TestPattern pattern(size.width, size.height);
    I420Frame frame;
    const int frames = frameCount();
    const auto before = std::chrono::steady_clock::now();
    for (int i = 0; i < frames; ++i) {
      pattern.render(frame, static_cast<std::uint64_t>(i), std::chrono::system_clock::now());
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - before)
            .count() /
        frames;
    std::printf("pattern %dx%d render %.2f ms/frame\n", size.width, size.height, ms);
  }
}

TEST(EncodeCost, Vp8) {
  for (const Size& size : kSizes) {
    Vp8EncoderOptions defaults;
    std::vector<std::pair<int, int>> settings = {{defaults.cpu_used, defaults.threads}};
    if (sweep()) {
      for (int cpu : {-6, -8, -10, -12, -16, 8, 16}) {
        for (int threads : {1, 2}) settings.emplace_back(cpu, threads);
      }
    }
    for (auto [cpu_used, threads] : settings) {
      Vp8EncoderOptions options;
      options.width = size.width;
      options.height = size.height;
      options.bitrate_kbps = size.kbps;
      options.cpu_used = cpu_used;
      options.threads = threads;
      auto encoder = Vp8Encoder::create(options);
      ASSERT_TRUE(encoder.ok()) << encoder.error().message;
      const Cost cost = measure(**encoder, size.width, size.height, options.fps);
      print("vp8 " + std::to_string(size.width) + "x" + std::to_string(size.height) + " cpu-used " +
                std::to_string(cpu_used) + " threads " + std::to_string(threads),
            cost, options.fps);
    }
  }
}

TEST(EncodeCost, H264) {
  for (const Size& size : kSizes) {
    H264EncoderOptions defaults;
    std::vector<std::pair<std::string, int>> settings = {{defaults.preset, defaults.threads}};
    if (sweep()) {
      for (const char* preset : {"ultrafast", "superfast", "veryfast"}) {
        for (int threads : {1, 2}) settings.emplace_back(preset, threads);
      }
    }
    for (const auto& [preset, threads] : settings) {
      H264EncoderOptions options;
      options.width = size.width;
      options.height = size.height;
      options.bitrate_kbps = size.kbps;
      options.preset = preset;
      options.threads = threads;
      auto encoder = H264Encoder::create(options);
      ASSERT_TRUE(encoder.ok()) << encoder.error().message;
      const Cost cost = measure(**encoder, size.width, size.height, options.fps);
      print("h264 " + std::to_string(size.width) + "x" + std::to_string(size.height) + " " +
                preset + " threads " + std::to_string(threads),
            cost, options.fps);
    }
  }
}

}  // namespace
}  // namespace throng::media
