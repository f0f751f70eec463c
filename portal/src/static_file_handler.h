#pragma once

#include "api_handler.h"

#include <filesystem>
#include <string>

namespace parley::portal {

/// Serves the meeting page's files from the web root: `/join/{link}` gets the page itself,
/// `/static/{file}` one of the listed files (no other path can be named, so nothing outside
/// the web root is reachable). Pages carry a strict Content-Security-Policy: scripts and
/// styles from the portal only, no inline code, media from the browser's own streams.
class StaticFileHandler : public ApiHandler
{
public:
    StaticFileHandler(const HandlerContext& context, std::filesystem::path webRoot)
        : ApiHandler(context), webRoot_(std::move(webRoot))
    {}

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
    std::filesystem::path webRoot_;
};

/// The Content-Security-Policy of the meeting page.
extern const char* const kPageContentSecurityPolicy;

} // namespace parley::portal
