#pragma once

#include "api_session.h"

#include <string>
#include <vector>

namespace parley::parleyctl {

/// The same commands as offline, through the running server's REST API (signed in as an
/// admin); every change is audited by the server with that admin as the actor.
int runOnline(ApiSession& api, const std::vector<std::string>& command);

} // namespace parley::parleyctl
