#pragma once

#include <filesystem>
#include <string>

namespace parley::parleyd {

/// Routes every Poco logger to the console (stderr) and, if `file` is not empty, also
/// appends to that file; one line per message with UTC time, level and source. When the
/// output goes to the systemd journal (and no file is set) each line carries its syslog
/// priority for journald instead of the time and level.
/// Throws ConfigError naming `log.file` if the file cannot be opened for appending.
void configureLogging(const std::string& level, const std::filesystem::path& file);

} // namespace parley::parleyd
