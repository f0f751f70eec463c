#pragma once

#include <filesystem>
#include <optional>

namespace parley::parleyd {

/// Where an installed Parley keeps its files, found from the running executable: a program
/// in `<prefix>/sbin` (or `bin`) next to `<prefix>/share/parley/web` is installed (the Debian
/// package puts it under /usr); anything else runs from a build tree.
struct InstallLayout
{
    bool installed = false;
    /// The web files: `<prefix>/share/parley/web` when installed, else the source tree's
    /// portal/web this binary was built from.
    std::filesystem::path webRoot;
    /// The configuration read when no --config is given: /etc/parley/parley.ini for an
    /// installation under /usr (`<prefix>/etc/parley/parley.ini` under another prefix), only
    /// when installed and the file exists.
    std::optional<std::filesystem::path> defaultConfig;
};

/// The layout of this process's executable (read from /proc/self/exe once).
const InstallLayout& installLayout();

/// The layout an executable at `executable` has; `sourceWebRoot` is the build tree's web files.
InstallLayout layoutOf(const std::filesystem::path& executable, const std::filesystem::path& sourceWebRoot);

} // namespace parley::parleyd
