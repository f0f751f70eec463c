#include "journal_stream.h"

#include <cstdio>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

namespace parley::parleyd {

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
