#include "base/metrics.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <stdexcept>

namespace throng {

namespace {

// 2^53: every integer up to here is exact in a double, so printing it as an integer loses
// nothing; beyond it the shortest round-trip form is the honest one.
constexpr double kMaxExactInteger = 9007199254740992.0;
// Outside [1e-4, 1e21) the exponent form is shorter and easier to read; the same cut-offs as
// JavaScript's Number#toString, close to Go's 'g' which Prometheus itself uses.
constexpr double kMinFixed = 1e-4;
constexpr double kMaxFixed = 1e21;

[[maybe_unused]] bool isValidMetricName(std::string_view name) {
  // [a-zA-Z_:][a-zA-Z0-9_:]* (text format 0.0.4, "metric names").
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

[[maybe_unused]] bool isValidLabelName(std::string_view name) {
  // [a-zA-Z_][a-zA-Z0-9_]*; names starting with __ are reserved for Prometheus itself.
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

// HELP text escapes backslash and newline only; label values also escape the double quote.
void appendEscaped(std::string& out, std::string_view text, bool escape_quote) {
  for (const char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '"':
        if (escape_quote) {
          out += "\\\"";
        } else {
          out += c;
        }
        break;
      default: out += c;
    }
  }
}

}  // namespace

// --- Histogram ---------------------------------------------------------------------------------

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), counts_(upper_bounds_.size() + 1) {
  for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
    if (!std::isfinite(upper_bounds_[i])) {
      throw std::invalid_argument("histogram bounds must be finite (+Inf is implicit)");
    }
    if (i > 0 && !(upper_bounds_[i - 1] < upper_bounds_[i])) {
      throw std::invalid_argument("histogram bounds must be strictly increasing");
    }
  }
}

void Histogram::observe(double v) {
  // First bound >= v: "le" is inclusive. NaN compares false with every bound and so ends in
  // the +Inf bucket, matching client_golang.
  const auto it = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), v);
  const auto index = std::isnan(v) ? upper_bounds_.size()
                                   : static_cast<std::size_t>(it - upper_bounds_.begin());
  counts_[index].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.buckets.reserve(counts_.size());
  std::uint64_t cumulative = 0;
  for (const auto& c : counts_) {
    cumulative += c.load(std::memory_order_relaxed);
    s.buckets.push_back(cumulative);
  }
  s.count = cumulative;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// --- Number formatting -------------------------------------------------------------------------

std::string formatSampleValue(double v) {
  // Spelling from the text format spec: Go's ParseFloat accepts these.
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::array<char, 32> buf{};
  std::to_chars_result res{};
  if (v == std::trunc(v) && std::fabs(v) <= kMaxExactInteger) {
    res = std::to_chars(buf.data(), buf.data() + buf.size(), static_cast<std::int64_t>(v));
  } else if (std::fabs(v) >= kMinFixed && std::fabs(v) < kMaxFixed) {
    // Shortest round-trip digits, without exponent: "0.0005", not "5e-04".
    res = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::fixed);
  } else {
    res = std::to_chars(buf.data(), buf.data() + buf.size(), v, std::chars_format::scientific);
  }
  return std::string(buf.data(), res.ptr);
}

// --- PromWriter --------------------------------------------------------------------------------

void PromWriter::family(std::string_view name, std::string_view type, std::string_view help) {
  assert(isValidMetricName(name));
  assert(type == "counter" || type == "gauge" || type == "histogram" || type == "summary" ||
         type == "untyped");
  for (std::size_t i = 0; i < families_.size(); ++i) {
    if (families_[i].name == name) {
      current_ = i;
      return;
    }
  }
  Family f;
  f.name = std::string(name);
  f.text += "# HELP ";
  f.text += name;
  f.text += ' ';
  appendEscaped(f.text, help, /*escape_quote=*/false);
  f.text += "\n# TYPE ";
  f.text += name;
  f.text += ' ';
  f.text += type;
  f.text += '\n';
  families_.push_back(std::move(f));
  current_ = families_.size() - 1;
}

void PromWriter::histogram(std::string_view name, std::initializer_list<Label> labels,
                           const Histogram& h) {
  histogramImpl(name, {labels.begin(), labels.size()}, h);
}

void PromWriter::histogram(std::string_view name, const std::vector<Label>& labels,
                           const Histogram& h) {
  histogramImpl(name, labels, h);
}

void PromWriter::histogramImpl(std::string_view name, std::span<const Label> labels,
                               const Histogram& h) {
  const Histogram::Snapshot s = h.snapshot();
  const auto& bounds = h.upperBounds();
  for (std::size_t i = 0; i < s.buckets.size(); ++i) {
    const std::string le = i < bounds.size() ? formatSampleValue(bounds[i]) : "+Inf";
    const Label le_label{"le", le};
    writeSample(name, "_bucket", labels, &le_label, formatValue(s.buckets[i]));
  }
  writeSample(name, "_sum", labels, nullptr, formatSampleValue(s.sum));
  writeSample(name, "_count", labels, nullptr, formatValue(s.count));
}

std::string& PromWriter::currentText() {
  if (families_.empty()) families_.push_back(Family{});  // samples before any family()
  return families_[current_].text;
}

void PromWriter::writeSample(std::string_view name, std::string_view suffix,
                             std::span<const Label> labels, const Label* extra,
                             std::string_view value) {
  assert(isValidMetricName(name));
  std::string& out = currentText();
  out += name;
  out += suffix;
  if (!labels.empty() || extra != nullptr) {
    out += '{';
    bool first = true;
    const auto append = [&](const Label& label) {
      assert(isValidLabelName(label.first));
      if (!first) out += ',';
      first = false;
      out += label.first;
      out += "=\"";
      appendEscaped(out, label.second, /*escape_quote=*/true);
      out += '"';
    };
    for (const Label& label : labels) append(label);
    if (extra != nullptr) append(*extra);
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

std::string PromWriter::take() {
  std::size_t total = 0;
  for (const Family& f : families_) total += f.text.size();
  std::string out;
  out.reserve(total);
  for (const Family& f : families_) out += f.text;
  families_.clear();
  current_ = 0;
  return out;
}

// --- MetricsRegistry ---------------------------------------------------------------------------

void MetricsRegistry::addCollector(Collector collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::render() const {
  std::vector<Collector> collectors;
  {
    // Copy so that collectors run unlocked: one scrape every few seconds makes the copy cheap.
    std::lock_guard lock(mutex_);
    collectors = collectors_;
  }
  PromWriter writer;
  for (const Collector& collect : collectors) collect(writer);
  return writer.take();
}

}  // namespace throng
