#include "mount_table.h"

#include <fstream>
#include <sstream>

namespace parley::volume {

namespace {

std::string unescape(std::string_view field)
{
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '3' && field[i + 2] >= '0' && field[i + 2] <= '7' &&
            field[i + 3] >= '0' && field[i + 3] <= '7') {
            out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
            i += 3;
        }
        else
            out += field[i];
    }
    return out;
}

bool isPrefixPath(const std::string& prefix, const std::string& path)
{
    if (prefix == "/")
        return true;
    return path == prefix || (path.starts_with(prefix) && path[prefix.size()] == '/');
}

} // namespace

std::vector<MountEntry> parseMountInfo(std::string_view text)
{
    std::vector<MountEntry> table;
    std::istringstream lines{std::string(text)};
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::vector<std::string> parts;
        std::string part;
        while (fields >> part)
            parts.push_back(part);
        // id parent major:minor root mount-point options [optional...] - type source super-options
        std::size_t separator = 6;
        while (separator < parts.size() && parts[separator] != "-")
            ++separator;
        if (parts.size() < 7 || separator + 2 >= parts.size())
            continue;
        table.push_back({parts[2], unescape(parts[4]), parts[5], unescape(parts[separator + 1]),
                         unescape(parts[separator + 2]), separator + 3 < parts.size() ? parts[separator + 3] : ""});
    }
    return table;
}

std::vector<MountEntry> readMountTable()
{
    std::ifstream file("/proc/self/mountinfo");
    std::stringstream text;
    text << file.rdbuf();
    return parseMountInfo(text.str());
}

std::optional<MountEntry> findMount(const std::vector<MountEntry>& table, const std::filesystem::path& directory)
{
    const std::string wanted = directory.lexically_normal().string();
    std::optional<MountEntry> found;
    for (const auto& entry : table)
        if (entry.mountPoint == wanted)
            found = entry; // later lines are mounted on top of earlier ones
    return found;
}

std::optional<MountEntry> mountHolding(const std::vector<MountEntry>& table, const std::filesystem::path& path)
{
    const std::string wanted = path.lexically_normal().string();
    std::optional<MountEntry> found;
    for (const auto& entry : table)
        if (isPrefixPath(entry.mountPoint, wanted) &&
            (!found || entry.mountPoint.size() >= found->mountPoint.size()))
            found = entry;
    return found;
}

} // namespace parley::volume
