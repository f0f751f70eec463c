#pragma once

#include <filesystem>
#include <string>

namespace parley::test {

/// A fresh directory under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir
{
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

/// Writes `content` to `file`, replacing it.
void writeFile(const std::filesystem::path& file, const std::string& content);

/// The whole content of `file` ("" if it cannot be read).
std::string readFile(const std::filesystem::path& file);

} // namespace parley::test
