#pragma once

#include <filesystem>
#include <string>

namespace parley::parleyd {

/// Routes every Poco logger to the console (stderr) and, if `file` is not empty, also
/// appends to that file; one line per message with UTC time, level and source.
/// Throws ConfigError naming `log.file` if the file cannot be opened for appending.
void configureLogging(const std::string& level, const std::filesystem::path& file);

} // namespace parley::parleyd
