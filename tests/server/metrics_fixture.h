#pragma once

#include "account_fixture.h"

#include <filesystem>
#include <sstream>
#include <string>

namespace parley::test {

/// A new metrics token from `parleyctl metrics create-token` (the token is its stdout's
/// first line).
inline std::string createToken(const std::filesystem::path& dataDir)
{
    const auto created = runParleyctl(ctlArgs(dataDir) + " metrics create-token 2>/dev/null");
    REQUIRE(created.exitCode == 0);
    const auto token = created.output.substr(0, created.output.find('\n'));
    REQUIRE(token.size() == 43);
    return token;
}

inline HttpResponse scrape(std::uint16_t port, const std::string& authorization)
{
    return httpsRequest(port, "GET", "/metrics", {},
                        authorization.empty() ? std::string() : "Authorization: " + authorization + "\r\n");
}

/// The value of the sample written exactly as `series` (name and labels), or -1 if absent.
inline double valueOf(const std::string& text, const std::string& series)
{
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ')
            return std::stod(line.substr(series.size() + 1));
    return -1;
}

} // namespace parley::test
