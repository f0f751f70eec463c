#include "journal_formatter.h"

#include <Poco/Message.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>

namespace parley::parleyd {

void JournalFormatter::format(const Poco::Message& message, std::string& text)
{
    // Poco's priorities are syslog's shifted by nothing (error 3, warning 4 ... debug 7)
    // except that they start at fatal = 1 and add trace = 8, which syslog counts as debug.
    const int priority = std::clamp(static_cast<int>(message.getPriority()), 1, 7);
    text = "<" + std::to_string(priority) + ">" + message.getSource() + ": " + message.getText();
}

bool outputGoesToJournal()
{
    const char* stream = std::getenv("JOURNAL_STREAM");
    if (!stream)
        return false;
    // "device:inode" of the journal's socket; only when stderr (where the log goes) is still that socket (not
    // redirected by a wrapper) are the prefixes read by journald rather than shown.
    unsigned long long device = 0;
    unsigned long long inode = 0;
    if (std::sscanf(stream, "%llu:%llu", &device, &inode) != 2)
        return false;
    struct stat output{};
    return ::fstat(STDERR_FILENO, &output) == 0 && output.st_dev == device && output.st_ino == inode;
}

} // namespace parley::parleyd
