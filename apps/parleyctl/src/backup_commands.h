#pragma once

#include <parley/parleyd/settings.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace parley::parleyctl {

/// `parleyctl backup SUBCOMMAND ...` (docs/operations.md, "Backups"): create, verify, list,
/// restore, create-key, and `configured` (the scheduled service's condition). None opens the
/// database through the server's migrations: create copies it with SQLite's online backup,
/// restore writes only into a data directory that holds none. `configFile` is the
/// configuration in use, which create puts into the archive. Returns the exit status; throws
/// std::invalid_argument for a usage error.
int runBackupCommand(const parleyd::Settings& settings, const std::optional<std::filesystem::path>& configFile,
                     const std::string& subcommand, const std::vector<std::string>& arguments);

/// `backup create-key FILE`, which needs no configuration.
int createBackupKey(const std::vector<std::string>& arguments);

} // namespace parley::parleyctl
