// StaticFiles and the Responder, driven without sockets: a recording ResponseSink serializes
// what the handler answered, and the test parses it back.
#include "http/route_stats.h"
#include "http/static_files.h"
#include "http/types.h"
#include "support/temp_dir.h"

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

namespace throng::http {
namespace {

namespace fs = std::filesystem;
using beast_http::field;
using beast_http::verb;

// Records the one response delivered to it, serialized to bytes as the connection would write
// them. Everything runs on the test thread.
class RecordingSink : public ResponseSink {
 public:
  void deliver(beast_http::message_generator message, unsigned delivered_status,
               bool delivered_keep_alive, RouteStats* delivered_stats,
               std::chrono::steady_clock::time_point) override {
    ++deliveries;
    status = delivered_status;
    keep_alive = delivered_keep_alive;
    stats = delivered_stats;
    boost::beast::error_code ec;
    while (!message.is_done()) {
      const auto buffers = message.prepare(ec);
      if (ec) {
        serialize_error = ec;
        return;
      }
      std::size_t n = 0;
      for (const auto& b : buffers) {
        wire.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      message.consume(n);
    }
  }
  boost::asio::any_io_executor executor() override { return io.get_executor(); }
  bool closing() const override { return closing_flag; }

  boost::asio::io_context io;
  bool closing_flag = false;
  int deliveries = 0;
  unsigned status = 0;
  bool keep_alive = false;
  RouteStats* stats = nullptr;
  std::string wire;
  boost::beast::error_code serialize_error;
};

// The response in `wire`, parsed back. For HEAD the parser is told not to expect a body.
StringResponse parseResponse(const std::string& wire, bool head) {
  beast_http::response_parser<beast_http::string_body> parser;
  parser.eager(true);
  parser.skip(head);
  boost::beast::error_code ec;
  const std::size_t used = parser.put(boost::asio::buffer(wire), ec);
  EXPECT_FALSE(ec) << ec.message() << "\n" << wire;
  EXPECT_TRUE(parser.is_done()) << wire;
  EXPECT_EQ(used, wire.size()) << "bytes after the message:\n" << wire;
  return parser.release();
}

// What follows the header block (the body bytes actually sent).
std::string bodyBytes(const std::string& wire) {
  const auto end = wire.find("\r\n\r\n");
  return end == std::string::npos ? std::string() : wire.substr(end + 4);
}

void writeFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
}

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = dir_ / "www";
    writeFile(root_ / "index.html", kIndex);
    writeFile(root_ / "app.js", kScript);
    writeFile(root_ / "docs" / "index.html", "<p>docs</p>");
    writeFile(root_ / "empty" / "placeholder.txt", "x");
    files_.emplace(root_);
  }

  struct Answer {
    std::shared_ptr<RecordingSink> sink;
    StringResponse response;
  };

  // Serves `target` with `method`, as HttpSession::handle does (HEAD sets the Responder's flag).
  Answer serve(verb method, std::string_view target, std::string if_none_match = "") {
    Answer answer{std::make_shared<RecordingSink>(), {}};
    RequestContext context;
    context.request.method(method);
    context.request.target(target);
    context.request.version(11);
    if (!if_none_match.empty()) context.request.set(field::if_none_match, if_none_match);
    auto parsed = parseRequestTarget(target);
    EXPECT_TRUE(parsed) << target;
    if (parsed) context.target = std::move(*parsed);
    Responder responder(answer.sink, &stats_, 11, true, std::chrono::steady_clock::now());
    responder.setHead(method == verb::head);
    files_->serve(context, std::move(responder));
    EXPECT_EQ(answer.sink->deliveries, 1);
    EXPECT_FALSE(answer.sink->serialize_error) << answer.sink->serialize_error.message();
    answer.response = parseResponse(answer.sink->wire, method == verb::head);
    return answer;
  }

  static constexpr const char* kIndex = "<!doctype html><title>throng</title>";
  static constexpr const char* kScript = "console.log('throng');\n";

  testing::TempDir dir_;
  fs::path root_;
  RouteStats stats_{"static"};
  std::optional<StaticFiles> files_;
};

TEST(MimeTypeFor, KnownExtensions) {
  EXPECT_EQ(mimeTypeFor("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(mimeTypeFor("/a/b/style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(mimeTypeFor("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(mimeTypeFor("logo.svg"), "image/svg+xml");
  EXPECT_EQ(mimeTypeFor("codec.wasm"), "application/wasm");
  EXPECT_EQ(mimeTypeFor("data.json"), "application/json");
}

TEST(MimeTypeFor, UnknownOrMissingExtensionIsOctetStream) {
  EXPECT_EQ(mimeTypeFor("archive.xyz"), "application/octet-stream");
  EXPECT_EQ(mimeTypeFor("README"), "application/octet-stream");
  EXPECT_EQ(mimeTypeFor(""), "application/octet-stream");
  EXPECT_EQ(mimeTypeFor("file.html.bak"), "application/octet-stream");  // the last one counts
  EXPECT_EQ(mimeTypeFor("x.htmlx"), "application/octet-stream");
}

TEST(MimeTypeFor, ExtensionsAreCaseInsensitive) {
  EXPECT_EQ(mimeTypeFor("INDEX.HTML"), "text/html; charset=utf-8");
  EXPECT_EQ(mimeTypeFor("Logo.SVG"), "image/svg+xml");
  EXPECT_EQ(mimeTypeFor("app.Js"), "text/javascript; charset=utf-8");
}

TEST_F(StaticFilesTest, ServesAFileWithHeaders) {
  auto answer = serve(verb::get, "/app.js");
  EXPECT_EQ(answer.sink->status, 200u);
  EXPECT_EQ(answer.response.result(), beast_http::status::ok);
  EXPECT_EQ(answer.response.body(), kScript);
  EXPECT_EQ(answer.response[field::content_type], "text/javascript; charset=utf-8");
  EXPECT_EQ(answer.response[field::content_length], std::to_string(std::string(kScript).size()));
  EXPECT_EQ(answer.response[field::cache_control], "public, max-age=3600");
  EXPECT_EQ(answer.response["X-Content-Type-Options"], "nosniff");
  EXPECT_FALSE(answer.response[field::last_modified].empty());
  const std::string etag(answer.response[field::etag]);
  ASSERT_GE(etag.size(), 3u);
  EXPECT_EQ(etag.front(), '"');
  EXPECT_EQ(etag.back(), '"');
  EXPECT_TRUE(answer.sink->keep_alive);
  EXPECT_EQ(answer.sink->stats, &stats_);
}

TEST_F(StaticFilesTest, HtmlIsRevalidatedOnEveryLoad) {
  auto answer = serve(verb::get, "/index.html");
  EXPECT_EQ(answer.sink->status, 200u);
  EXPECT_EQ(answer.response.body(), kIndex);
  EXPECT_EQ(answer.response[field::content_type], "text/html; charset=utf-8");
  EXPECT_EQ(answer.response[field::cache_control], "no-cache");
}

TEST_F(StaticFilesTest, EtagIsStableForAnUnchangedFile) {
  auto first = serve(verb::get, "/app.js");
  auto second = serve(verb::get, "/app.js");
  EXPECT_EQ(first.response[field::etag], second.response[field::etag]);
  // A different file (different size) has a different ETag.
  auto other = serve(verb::get, "/index.html");
  EXPECT_NE(first.response[field::etag], other.response[field::etag]);
}

TEST_F(StaticFilesTest, DirectoryServesItsIndex) {
  auto root = serve(verb::get, "/");
  EXPECT_EQ(root.sink->status, 200u);
  EXPECT_EQ(root.response.body(), kIndex);
  EXPECT_EQ(root.response[field::content_type], "text/html; charset=utf-8");

  auto docs = serve(verb::get, "/docs/");
  EXPECT_EQ(docs.sink->status, 200u);
  EXPECT_EQ(docs.response.body(), "<p>docs</p>");

  auto no_slash = serve(verb::get, "/docs");
  EXPECT_EQ(no_slash.sink->status, 200u);
  EXPECT_EQ(no_slash.response.body(), "<p>docs</p>");
}

TEST_F(StaticFilesTest, DirectoryWithoutIndexIsNotFound) {
  auto answer = serve(verb::get, "/empty/");
  EXPECT_EQ(answer.sink->status, 404u);
}

TEST_F(StaticFilesTest, MatchingIfNoneMatchAnswers304) {
  const std::string etag(serve(verb::get, "/app.js").response[field::etag]);
  ASSERT_FALSE(etag.empty());

  auto answer = serve(verb::get, "/app.js", etag);
  EXPECT_EQ(answer.sink->status, 304u);
  EXPECT_EQ(answer.response.result(), beast_http::status::not_modified);
  EXPECT_EQ(answer.response[field::etag], etag);
  EXPECT_EQ(answer.response[field::cache_control], "public, max-age=3600");
  EXPECT_TRUE(answer.response.body().empty());
  EXPECT_TRUE(bodyBytes(answer.sink->wire).empty());
}

TEST_F(StaticFilesTest, IfNoneMatchListWeakTagsAndStarAnswer304) {
  const std::string etag(serve(verb::get, "/app.js").response[field::etag]);
  EXPECT_EQ(serve(verb::get, "/app.js", "\"x-1\", " + etag).sink->status, 304u);
  EXPECT_EQ(serve(verb::get, "/app.js", "W/" + etag).sink->status, 304u);
  EXPECT_EQ(serve(verb::get, "/app.js", "*").sink->status, 304u);
  EXPECT_EQ(serve(verb::get, "/app.js", "\"x-1\", W/\"x-2\"").sink->status, 200u);
}

TEST_F(StaticFilesTest, StaleIfNoneMatchServesTheFile) {
  auto answer = serve(verb::get, "/app.js", "\"0-0\"");
  EXPECT_EQ(answer.sink->status, 200u);
  EXPECT_EQ(answer.response.body(), kScript);
}

TEST_F(StaticFilesTest, MissingFileIsNotFound) {
  auto answer = serve(verb::get, "/nope.js");
  EXPECT_EQ(answer.sink->status, 404u);
  EXPECT_EQ(answer.response.result(), beast_http::status::not_found);
  EXPECT_EQ(answer.response.body(), "not found\n");
  EXPECT_EQ(answer.response[field::cache_control], "no-store");

  EXPECT_EQ(serve(verb::get, "/missing/dir/file.css").sink->status, 404u);
}

TEST_F(StaticFilesTest, SymlinkOutOfTheRootIsNotFound) {
  writeFile(dir_ / "secret.txt", "top secret");
  fs::create_symlink(dir_ / "secret.txt", root_ / "leak.txt");
  fs::create_directories(dir_ / "private");
  writeFile(dir_ / "private" / "key.pem", "key");
  fs::create_symlink(dir_ / "private", root_ / "linked");

  auto file = serve(verb::get, "/leak.txt");
  EXPECT_EQ(file.sink->status, 404u);
  EXPECT_EQ(file.response.body().find("secret"), std::string::npos);
  EXPECT_EQ(serve(verb::get, "/linked/key.pem").sink->status, 404u);
}

TEST_F(StaticFilesTest, SymlinkToASiblingSharingTheRootsNamePrefixIsNotFound) {
  // "www2" starts with "www" as a string but is not below it: the check must compare path
  // components, not characters.
  writeFile(dir_ / "www2" / "other.txt", "other");
  fs::create_symlink(dir_ / "www2" / "other.txt", root_ / "other.txt");
  EXPECT_EQ(serve(verb::get, "/other.txt").sink->status, 404u);
}

TEST_F(StaticFilesTest, SymlinkInsideTheRootIsServed) {
  fs::create_symlink(root_ / "app.js", root_ / "alias.js");
  auto answer = serve(verb::get, "/alias.js");
  EXPECT_EQ(answer.sink->status, 200u);
  EXPECT_EQ(answer.response.body(), kScript);
}

TEST_F(StaticFilesTest, HeadSendsTheHeaderWithoutTheBody) {
  auto answer = serve(verb::head, "/app.js");
  EXPECT_EQ(answer.sink->status, 200u);
  EXPECT_EQ(answer.response[field::content_length],
            std::to_string(fs::file_size(root_ / "app.js")));
  EXPECT_EQ(answer.response[field::content_type], "text/javascript; charset=utf-8");
  EXPECT_FALSE(answer.response[field::etag].empty());
  EXPECT_TRUE(bodyBytes(answer.sink->wire).empty()) << answer.sink->wire;

  // The same header as GET.
  auto get = serve(verb::get, "/app.js");
  EXPECT_EQ(answer.response[field::etag], get.response[field::etag]);
  EXPECT_EQ(answer.response[field::content_length], get.response[field::content_length]);
}

TEST_F(StaticFilesTest, HeadOfAMissingFileKeepsTheErrorsLength) {
  auto answer = serve(verb::head, "/nope.js");
  EXPECT_EQ(answer.sink->status, 404u);
  EXPECT_EQ(answer.response[field::content_length], "10");  // "not found\n"
  EXPECT_TRUE(bodyBytes(answer.sink->wire).empty());
}

TEST(Responder, DestroyedUnansweredSends500) {
  auto sink = std::make_shared<RecordingSink>();
  RouteStats stats("r");
  {
    Responder responder(sink, &stats, 11, true, std::chrono::steady_clock::now());
    EXPECT_FALSE(responder.answered());
  }
  ASSERT_EQ(sink->deliveries, 1);
  EXPECT_EQ(sink->status, 500u);
  EXPECT_EQ(sink->stats, &stats);
  auto response = parseResponse(sink->wire, false);
  EXPECT_EQ(response.result(), beast_http::status::internal_server_error);
  EXPECT_EQ(response.body(), "handler produced no response\n");
}

TEST(Responder, MovedFromResponderDoesNotAnswer) {
  auto sink = std::make_shared<RecordingSink>();
  {
    Responder first(sink, nullptr, 11, true, std::chrono::steady_clock::now());
    Responder second(std::move(first));
    second.text(beast_http::status::ok, "hi");
    EXPECT_TRUE(second.answered());
  }
  EXPECT_EQ(sink->deliveries, 1);
  EXPECT_EQ(sink->status, 200u);
}

TEST(Responder, AnswersOnlyOnce) {
  auto sink = std::make_shared<RecordingSink>();
  Responder responder(sink, nullptr, 11, true, std::chrono::steady_clock::now());
  responder.json(beast_http::status::created, "{}");
  EXPECT_TRUE(responder.answered());
  responder.error(beast_http::status::bad_request, "again");
  EXPECT_EQ(sink->deliveries, 1);
  EXPECT_EQ(sink->status, 201u);
  auto response = parseResponse(sink->wire, false);
  EXPECT_EQ(response[field::content_type], "application/json");
  EXPECT_EQ(response.body(), "{}");
}

TEST(Responder, ClosingSinkTurnsKeepAliveOff) {
  auto sink = std::make_shared<RecordingSink>();
  sink->closing_flag = true;
  Responder responder(sink, nullptr, 11, true, std::chrono::steady_clock::now());
  responder.text(beast_http::status::ok, "bye");
  EXPECT_FALSE(sink->keep_alive);
  auto response = parseResponse(sink->wire, false);
  EXPECT_FALSE(response.keep_alive());
}

TEST(Responder, UsesTheRequestsVersion) {
  auto sink = std::make_shared<RecordingSink>();
  Responder responder(sink, nullptr, 10, false, std::chrono::steady_clock::now());
  responder.text(beast_http::status::ok, "old");
  EXPECT_EQ(sink->wire.rfind("HTTP/1.0 200", 0), 0u) << sink->wire;
  EXPECT_FALSE(sink->keep_alive);
}

}  // namespace
}  // namespace throng::http
