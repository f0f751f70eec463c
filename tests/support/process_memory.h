#pragma once

#include <cstdint>
#include <sys/types.h>

namespace parley::test {

/// Resident memory of a running process, from /proc/<pid>/status, in KiB.
struct ProcessMemory
{
    std::int64_t residentKiB = 0;     ///< VmRSS
    std::int64_t peakResidentKiB = 0; ///< VmHWM: the most it held since start or the last reset
};

/// Throws std::runtime_error if the process's status cannot be read.
ProcessMemory processMemory(pid_t pid);

/// Resets the process's peak resident size to what it holds now (writes 5 to
/// /proc/<pid>/clear_refs; Linux 4.0 and later, as its owner or root). False if not allowed:
/// the peak then still counts from the process's start.
bool resetPeakResident(pid_t pid);

} // namespace parley::test
