// `throng record` (record_command.h).
#include "cli/record_command.h"

#include "record/exporter.h"

#include <CLI/CLI.hpp>

#include <cstdio>

namespace throng::cli {

RecordCommand::RecordCommand(CLI::App& app) {
  record_ = app.add_subcommand("record", "Recordings of lives (decrypted ingest RTP)");
  record_->require_subcommand(1);
  export_ = record_->add_subcommand(
      "export", "Write a recording as WebM (VP8 + Opus, copied) or MP4 (H.264 + AAC)");
  export_->add_option("DIR", directory_, "The recording's directory (index.json, media.pcap)")
      ->required();
  export_->add_option("-o,--output", output_, "The file to write: NAME.webm or NAME.mp4")
      ->required();
  export_
      ->add_option("--reorder-window", reorder_window_,
                   "Packets held per track to undo network reordering")
      ->capture_default_str()
      ->check(CLI::Range(1, 65'536));
}

bool RecordCommand::parsed() const {
  return record_->parsed();
}

int RecordCommand::run() {
  record::quietLibavLogs();
  record::ExportOptions options;
  options.reorder_window = reorder_window_;
  auto report = record::exportRecording(directory_, output_, options);
  if (!report) {
    std::fprintf(stderr, "throng: record export: %s\n", report.error().message.c_str());
    return 1;
  }
  std::printf("wrote %s (%s)\n", output_.c_str(), report->container.c_str());
  for (const record::ExportedTrack& t : report->tracks) {
    std::printf("  track %d: %s %s -> %s", t.index, t.kind.c_str(), t.codec.c_str(),
                t.output_codec.c_str());
    if (t.width > 0) std::printf(" %dx%d", t.width, t.height);
    std::printf(", %llu %s from %.3f s to %.3f s (%llu RTP packets",
                static_cast<unsigned long long>(t.frames_written),
                t.kind == "video" ? "frames" : "Opus packets", t.first_seconds, t.last_seconds,
                static_cast<unsigned long long>(t.packets));
    if (t.frames_skipped > 0) {
      std::printf(", %llu frames before a keyframe skipped",
                  static_cast<unsigned long long>(t.frames_skipped));
    }
    if (t.frames_damaged > 0) {
      std::printf(", %llu frames damaged by loss",
                  static_cast<unsigned long long>(t.frames_damaged));
    }
    if (t.late_packets > 0) {
      std::printf(", %llu late packets", static_cast<unsigned long long>(t.late_packets));
    }
    std::printf(")\n");
  }
  for (const std::string& note : report->notes) std::printf("  note: %s\n", note.c_str());
  return 0;
}

}  // namespace throng::cli
