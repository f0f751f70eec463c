#pragma once

#include <string>

namespace parley::portal {

/// Human-readable text for a join refusal code (docs/signaling.md); clients act on the code.
const std::string& joinRefusalText(const std::string& code);

/// Text for the refusals of messages sent from inside a room (not_joined, not_moderator,
/// no such participant, ...).
std::string roomErrorText(const std::string& code);

} // namespace parley::portal
