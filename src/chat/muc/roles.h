// Roles and affiliations of a multi-user chat room (XEP-0045 §5).
//
// An affiliation is long-lived and belongs to a bare JID (owner, admin, member, outcast);
// a role lives as long as one presence in the room (moderator, participant, visitor).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace throng::chat::muc {

enum class Role : std::uint8_t { kNone, kVisitor, kParticipant, kModerator };
// Ordered: a higher value may act on lower ones (XEP-0045 §5.2, the privilege tables).
enum class Affiliation : std::uint8_t { kOutcast, kNone, kMember, kAdmin, kOwner };

std::string_view roleName(Role role);
std::optional<Role> parseRole(std::string_view name);
std::string_view affiliationName(Affiliation affiliation);
std::optional<Affiliation> parseAffiliation(std::string_view name);

// A set of roles, e.g. the roles whose presence the room broadcasts
// (muc#roomconfig_presencebroadcast).
class RoleSet {
 public:
  constexpr RoleSet() = default;
  constexpr RoleSet(std::initializer_list<Role> roles) {
    for (Role role : roles) add(role);
  }
  constexpr void add(Role role) { bits_ |= bit(role); }
  constexpr bool contains(Role role) const { return (bits_ & bit(role)) != 0; }
  constexpr bool operator==(const RoleSet&) const = default;

 private:
  static constexpr std::uint8_t bit(Role role) {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(role));
  }
  std::uint8_t bits_ = 0;
};

}  // namespace throng::chat::muc
