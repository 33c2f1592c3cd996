// SharedBytes: an immutable, reference-counted byte buffer. Fan-out serializes a stanza or a
// packet once and hands every recipient a reference (style.md rule 3); nobody can change the
// bytes after creation, so references may cross workers freely.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace throng {

class SharedBytes {
 public:
  SharedBytes() = default;
  explicit SharedBytes(std::string bytes)
      : data_(std::make_shared<const std::string>(std::move(bytes))) {}

  std::string_view view() const { return data_ ? std::string_view(*data_) : std::string_view(); }
  std::size_t size() const { return data_ ? data_->size() : 0; }
  bool empty() const { return size() == 0; }
  long useCount() const { return data_.use_count(); }

 private:
  std::shared_ptr<const std::string> data_;
};

}  // namespace throng
