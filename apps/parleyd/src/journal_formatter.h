#pragma once

#include <Poco/Formatter.h>

namespace parley::parleyd {

/// Formats a log line for the systemd journal when parleyd's output goes there: the syslog
/// priority as a "<N>" prefix, which journald reads and strips (so `journalctl -p err` finds
/// parleyd's errors), then the source and the text. No time stamp: the journal keeps its own.
class JournalFormatter : public Poco::Formatter
{
public:
    void format(const Poco::Message& message, std::string& text) override;
};

/// Whether standard error (the log) is connected to the journal (systemd sets JOURNAL_STREAM to its
/// device and inode for a service's stdout and stderr).
bool outputGoesToJournal();

} // namespace parley::parleyd
