#pragma once

#include "offline_context.h"

#include <string>
#include <vector>

namespace parley::parleyctl {

/// `user create-admin NAME [--display-name TEXT] [--generate-password]`
int createAdmin(OfflineContext& context, const std::vector<std::string>& args);
/// `user reset-password NAME [--generate-password]`
int resetPassword(OfflineContext& context, const std::vector<std::string>& args);
/// `user list`
int listUsers(OfflineContext& context);

} // namespace parley::parleyctl
