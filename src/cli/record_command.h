// `throng record`: tools for the recordings of lives (src/record, docs/recording.md).
//
//   throng record export DIR --output FILE.webm|FILE.mp4 [--reorder-window 256]
//
// DIR is one recording (<data_dir>/recordings/<slug>-<UTC start>/, holding index.json and
// media.pcap). WebM copies VP8 and Opus; MP4 copies H.264 and encodes the Opus to AAC. Prints
// what it wrote per track and anything left out. Exit status: 0 written, 1 with a message on
// stderr otherwise (and no output file left behind).
#pragma once

#include <cstddef>
#include <string>

namespace CLI {
class App;
}

namespace throng::cli {

class RecordCommand {
 public:
  // Registers `record` and its subcommands on `app`, which keeps pointers into this object: it
  // must outlive app.parse().
  explicit RecordCommand(CLI::App& app);

  bool parsed() const;
  int run();

 private:
  CLI::App* record_ = nullptr;  // owned by the CLI::App passed to the constructor
  CLI::App* export_ = nullptr;
  std::string directory_;
  std::string output_;
  std::size_t reorder_window_ = 256;
};

}  // namespace throng::cli
