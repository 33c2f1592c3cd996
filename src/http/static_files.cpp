#include "http/static_files.h"

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/file_body.hpp>
#include <fmt/format.h>

#include <array>
#include <ctime>
#include <sys/stat.h>

namespace throng::http {
namespace {

namespace fs = std::filesystem;

struct MimeEntry {
  std::string_view extension;
  std::string_view type;
};

constexpr std::array<MimeEntry, 20> kMimeTypes{{
    {".html", "text/html; charset=utf-8"},
    {".htm", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".txt", "text/plain; charset=utf-8"},
    {".wasm", "application/wasm"},
    {".m3u8", "application/vnd.apple.mpegurl"},
    {".mp4", "video/mp4"},
    {".webm", "video/webm"},
}};

std::string httpDate(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// RFC 9110 §13.1.2: If-None-Match is a list of entity tags (or "*"), compared weakly.
bool noneMatchHits(std::string_view header, std::string_view etag) {
  while (!header.empty()) {
    const auto comma = header.find(',');
    auto tag = header.substr(0, comma);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string_view mimeTypeFor(std::string_view path) {
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos) return "application/octet-stream";
  std::string ext(path.substr(dot));
  for (auto& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& entry : kMimeTypes) {
    if (entry.extension == ext) return entry.type;
  }
  return "application/octet-stream";
}

StaticFiles::StaticFiles(fs::path root) : root_(fs::weakly_canonical(std::move(root))) {}

void StaticFiles::serve(RequestContext& context, Responder responder) const {
  // The path was normalized by parseRequestTarget: it starts with '/' and has no "..".
  serveFile(context, std::move(responder), fs::path(context.target.path).relative_path());
}

void StaticFiles::serveFile(RequestContext& context, Responder responder,
                            const fs::path& relative) const {
  fs::path file = root_ / relative;
  std::error_code ec;
  if (fs::is_directory(file, ec)) file /= "index.html";

  // Refuse anything that resolves (through a symlink) outside the root.
  const fs::path resolved = fs::weakly_canonical(file, ec);
  const auto [root_end, unused] =
      std::mismatch(root_.begin(), root_.end(), resolved.begin(), resolved.end());
  (void)unused;
  if (ec || root_end != root_.end()) {
    responder.error(beast_http::status::not_found, "not found");
    return;
  }

  struct stat st {};
  if (::stat(resolved.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    responder.error(beast_http::status::not_found, "not found");
    return;
  }
  const std::string etag = fmt::format("\"{:x}-{:x}\"", st.st_size, st.st_mtim.tv_sec);
  const std::string content_type(mimeTypeFor(resolved.native()));
  // HTML names the versioned assets, so it is revalidated on every load; assets may be kept
  // for an hour (they are revalidated cheaply with the ETag afterwards).
  const bool is_html = content_type.starts_with("text/html");
  const std::string_view cache_control = is_html ? "no-cache" : "public, max-age=3600";

  const auto& request = context.request;
  auto set_common = [&](auto& response) {
    response.set(beast_http::field::content_type, content_type);
    response.set(beast_http::field::etag, etag);
    response.set(beast_http::field::last_modified, httpDate(st.st_mtim.tv_sec));
    response.set(beast_http::field::cache_control, cache_control);
    response.set("X-Content-Type-Options", "nosniff");
  };

  if (noneMatchHits(request[beast_http::field::if_none_match], etag)) {
    beast_http::response<beast_http::empty_body> response{beast_http::status::not_modified,
                                                         request.version()};
    set_common(response);
    responder.send(std::move(response));
    return;
  }

  if (request.method() == beast_http::verb::head) {
    beast_http::response<beast_http::empty_body> response{beast_http::status::ok,
                                                         request.version()};
    set_common(response);
    response.content_length(static_cast<std::uint64_t>(st.st_size));
    responder.send(std::move(response));
    return;
  }

  beast_http::file_body::value_type body;
  boost::beast::error_code open_ec;
  body.open(resolved.c_str(), boost::beast::file_mode::scan, open_ec);
  if (open_ec) {
    responder.error(beast_http::status::not_found, "not found");
    return;
  }
  beast_http::response<beast_http::file_body> response{
      std::piecewise_construct, std::make_tuple(std::move(body)),
      std::make_tuple(beast_http::status::ok, request.version())};
  set_common(response);
  responder.send(std::move(response));
}

}  // namespace throng::http
