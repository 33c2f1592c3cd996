// Jid: an XMPP address, RFC 7622: [localpart@]domainpart[/resourcepart].
//
// Validation and normalization approximate the PRECIS profiles RFC 7622 names (see jid.cpp for
// what is and is not done): the localpart is case-folded in the ASCII range (an approximation
// of UsernameCaseMapped, RFC 8265 §3.3), the domain is lower-cased in the ASCII range without
// IDNA2008 processing of non-ASCII labels, and the resourcepart is kept as is (OpaqueString,
// RFC 8265 §4.2, does no case mapping). Two Jids compare equal iff their normalized parts do.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace throng::proto {

class Jid {
 public:
  // Parses "local@domain/resource" (RFC 7622 §3.1); nullopt when any part is invalid.
  static std::optional<Jid> parse(std::string_view text);
  // Validates and normalizes the parts; an empty local or resource means "absent".
  static std::optional<Jid> make(std::string_view local, std::string_view domain,
                                 std::string_view resource);

  const std::string& local() const { return local_; }
  const std::string& domain() const { return domain_; }
  const std::string& resource() const { return resource_; }
  bool hasLocal() const { return !local_.empty(); }
  bool hasResource() const { return !resource_.empty(); }

  Jid bare() const;  // without resource
  // Precondition: `resource` is a valid, non-empty resourcepart (use make() when unsure).
  Jid withResource(std::string_view resource) const;
  std::string full() const;  // local@domain/resource as applicable
  std::string bareString() const;

  bool operator==(const Jid&) const = default;  // after normalization

 private:
  Jid() = default;
  std::string local_;
  std::string domain_;
  std::string resource_;
};

}  // namespace throng::proto
