#include <parley/loadgen/process_usage.h>

#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace parley::loadgen {
namespace {

std::string readWhole(const std::string& path)
{
    std::ifstream file(path);
    if (!file)
        throw std::runtime_error("cannot read " + path + " (has the process ended?)");
    std::ostringstream text;
    text << file.rdbuf();
    return text.str();
}

template <typename Visit>
void forEachEntry(const std::string& directory, Visit&& visit)
{
    struct CloseDir
    {
        void operator()(DIR* dir) const { closedir(dir); }
    };
    std::unique_ptr<DIR, CloseDir> dir(opendir(directory.c_str()));
    if (!dir)
        throw std::runtime_error("cannot list " + directory + " (has the process ended?)");
    while (const dirent* entry = readdir(dir.get()))
        if (entry->d_name[0] != '.')
            visit(std::string(entry->d_name));
}

} // namespace

bool parseProcStat(const std::string& text, double& cpuSeconds, std::string& name)
{
    // "pid (name) state ppid ...": the name may hold spaces and parentheses, so it ends at
    // the last ')'. utime and stime are fields 14 and 15, the 12th and 13th after it.
    const auto open = text.find('(');
    const auto close = text.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open)
        return false;
    name = text.substr(open + 1, close - open - 1);
    std::istringstream fields(text.substr(close + 1));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 1; i <= 13 && fields >> field; ++i) {
        try {
            if (i == 12)
                utime = std::stoull(field);
            if (i == 13)
                stime = std::stoull(field);
        } catch (const std::exception&) {
            return false;
        }
        if (i == 13) {
            cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
            return true;
        }
    }
    return false;
}

ProcessUsage readProcessUsage(pid_t pid)
{
    const std::string base = "/proc/" + std::to_string(pid);
    ProcessUsage usage;
    std::string name;
    if (!parseProcStat(readWhole(base + "/stat"), usage.cpuSeconds, name))
        throw std::runtime_error("cannot parse " + base + "/stat");
    std::istringstream status(readWhole(base + "/status"));
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0)
            usage.residentBytes = std::stoull(line.substr(6)) * 1024;
        else if (line.rfind("RssAnon:", 0) == 0)
            usage.anonymousBytes = std::stoull(line.substr(8)) * 1024;
        else if (line.rfind("RssFile:", 0) == 0)
            usage.fileBytes = std::stoull(line.substr(8)) * 1024;
        else if (line.rfind("Threads:", 0) == 0)
            usage.threads = std::stoi(line.substr(8));
    }
    forEachEntry(base + "/fd", [&](const std::string&) { ++usage.openFiles; });
    forEachEntry(base + "/task", [&](const std::string& tid) {
        double seconds = 0;
        std::string threadName;
        std::ifstream file(base + "/task/" + tid + "/stat");
        std::ostringstream text;
        text << file.rdbuf();
        // A thread that ended between the listing and the read is left out.
        if (file && parseProcStat(text.str(), seconds, threadName)) {
            usage.cpuSecondsByThread[threadName] += seconds;
            ++usage.threadsByName[threadName];
        }
    });
    return usage;
}

} // namespace parley::loadgen
