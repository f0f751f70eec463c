#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>

namespace parley::loadgen {

/// What a process on this machine uses, read from /proc at one moment.
struct ProcessUsage
{
    double cpuSeconds = 0;          ///< user + system time so far, all threads
    std::uint64_t residentBytes = 0; ///< VmRSS
    /// Of it, anonymous memory (RssAnon: heap, stacks) and pages of mapped files (RssFile:
    /// mostly shared libraries' code, read in as it is first run).
    std::uint64_t anonymousBytes = 0;
    std::uint64_t fileBytes = 0;
    int threads = 0;
    int openFiles = 0;              ///< entries in /proc/<pid>/fd
    /// CPU seconds so far by thread name (threads of one name added up), e.g. the router's
    /// "parley-media" workers.
    std::map<std::string, double> cpuSecondsByThread;
    /// Threads by name, e.g. the HTTP pool's "parley-https" apart from the rest.
    std::map<std::string, int> threadsByName;
};

/// Reads /proc/<pid>; throws std::runtime_error (naming the pid) when the process is gone or
/// its files cannot be read.
ProcessUsage readProcessUsage(pid_t pid);

/// The user + system seconds in the text of a /proc/<pid>/stat (or task stat) file, and the
/// name between its parentheses; false when the text is not such a file.
bool parseProcStat(const std::string& text, double& cpuSeconds, std::string& name);

} // namespace parley::loadgen
