#pragma once

#include "offline_context.h"

#include <string>
#include <vector>

namespace parley::parleyctl {

/// `parleyctl volume SUBCOMMAND ...` (create, unlock, lock, status, add-key, change-key,
/// revoke-key, backup-header, restore-header, check) on the volume named by `[volume]`.
/// Every change is audited as `volume.*` with the volume's UUID. Returns the exit status;
/// throws std::invalid_argument for a usage error.
int runVolumeCommand(OfflineContext& context, const std::string& subcommand, const std::vector<std::string>& arguments);

/// Exit status for a passphrase or key file that opens no key slot.
inline constexpr int kExitWrongPassphrase = 2;

} // namespace parley::parleyctl
