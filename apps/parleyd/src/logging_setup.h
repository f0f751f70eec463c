#pragma once

#include <filesystem>
#include <string>

namespace parley::parleyd {

/// Routes every Poco logger to the console (stderr) and, if `file` is not empty, also
/// appends to that file: one logfmt line per event with stable field names (time, level,
/// source, event, msg and the event's own; parley/log/event_formatter.h). When the output
/// goes to the systemd journal (and no file is set) each line starts with its syslog
/// priority for journald instead of the time.
/// Throws ConfigError naming `log.file` if the file cannot be opened for appending.
void configureLogging(const std::string& level, const std::filesystem::path& file);

/// Changes the level of every logger at once, while the server runs (SIGHUP re-reads
/// `log.level`). Throws ConfigError naming
/// `log.level` for a name Poco does not know (the configuration check refuses those first).
void setLogLevel(const std::string& level);

} // namespace parley::parleyd
