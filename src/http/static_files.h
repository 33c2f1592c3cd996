// Static files from a web root (the built front end under web/). GET and HEAD only.
// Content types by extension; validators (ETag from size+mtime, Last-Modified) with 304
// answers; HTML is revalidated on every load, other assets are cached for a while.
#pragma once

#include "http/types.h"

#include <filesystem>
#include <string_view>

namespace throng::http {

// The Content-Type for a file name (by extension); application/octet-stream when unknown.
std::string_view mimeTypeFor(std::string_view path);

class StaticFiles {
 public:
  explicit StaticFiles(std::filesystem::path root);

  // A Handler serving context.target.path below the root; a directory serves its index.html.
  void serve(RequestContext& context, Responder responder) const;
  // Serves `relative` (below the root) whatever the request's path: a page that reads its
  // parameters from the URL, such as /live/<event>.
  void serveFile(RequestContext& context, Responder responder,
                 const std::filesystem::path& relative) const;

 private:
  std::filesystem::path root_;  // canonical
};

}  // namespace throng::http
