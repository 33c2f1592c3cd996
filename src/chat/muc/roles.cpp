#include "chat/muc/roles.h"

namespace throng::chat::muc {

std::string_view roleName(Role role) {
  switch (role) {
    case Role::kNone: return "none";
    case Role::kVisitor: return "visitor";
    case Role::kParticipant: return "participant";
    case Role::kModerator: return "moderator";
  }
  return "none";
}

std::optional<Role> parseRole(std::string_view name) {
  for (Role role : {Role::kNone, Role::kVisitor, Role::kParticipant, Role::kModerator}) {
    if (roleName(role) == name) return role;
  }
  return std::nullopt;
}

std::string_view affiliationName(Affiliation affiliation) {
  switch (affiliation) {
    case Affiliation::kOutcast: return "outcast";
    case Affiliation::kNone: return "none";
    case Affiliation::kMember: return "member";
    case Affiliation::kAdmin: return "admin";
    case Affiliation::kOwner: return "owner";
  }
  return "none";
}

std::optional<Affiliation> parseAffiliation(std::string_view name) {
  for (Affiliation a : {Affiliation::kOutcast, Affiliation::kNone, Affiliation::kMember,
                        Affiliation::kAdmin, Affiliation::kOwner}) {
    if (affiliationName(a) == name) return a;
  }
  return std::nullopt;
}

}  // namespace throng::chat::muc
