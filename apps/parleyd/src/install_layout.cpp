#include <parley/parleyd/install_layout.h>

#include <system_error>

namespace parley::parleyd {

namespace fs = std::filesystem;

InstallLayout layoutOf(const fs::path& executable, const fs::path& sourceWebRoot)
{
    InstallLayout layout;
    layout.webRoot = sourceWebRoot;
    const auto directory = executable.parent_path();
    const auto name = directory.filename();
    if (name != "sbin" && name != "bin")
        return layout;
    const auto prefix = directory.parent_path();
    std::error_code error;
    if (!fs::is_directory(prefix / "share" / "parley" / "web", error))
        return layout;
    layout.installed = true;
    layout.webRoot = prefix / "share" / "parley" / "web";
    // /usr is the one prefix whose configuration lives outside it (the FHS's /etc).
    const auto config = prefix == "/usr" ? fs::path("/etc/parley/parley.ini")
                                         : prefix / "etc" / "parley" / "parley.ini";
    if (fs::exists(config, error))
        layout.defaultConfig = config;
    return layout;
}

const InstallLayout& installLayout()
{
    static const InstallLayout layout = [] {
        std::error_code error;
        const auto executable = fs::read_symlink("/proc/self/exe", error);
        return layoutOf(error ? fs::path() : executable, PARLEY_WEB_ROOT);
    }();
    return layout;
}

} // namespace parley::parleyd
