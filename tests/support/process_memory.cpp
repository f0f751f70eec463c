#include "process_memory.h"

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace parley::test {

ProcessMemory processMemory(pid_t pid)
{
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    if (!status)
        throw std::runtime_error("cannot read the status of process " + std::to_string(pid));
    ProcessMemory memory;
    std::string line;
    while (std::getline(status, line)) {
        std::istringstream fields(line);
        std::string name;
        std::int64_t kib = 0;
        fields >> name >> kib;
        if (name == "VmRSS:")
            memory.residentKiB = kib;
        else if (name == "VmHWM:")
            memory.peakResidentKiB = kib;
    }
    return memory;
}

bool resetPeakResident(pid_t pid)
{
    std::ofstream clear("/proc/" + std::to_string(pid) + "/clear_refs");
    clear << "5";
    clear.flush();
    return static_cast<bool>(clear);
}

} // namespace parley::test
