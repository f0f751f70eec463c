#pragma once

#include <parley/portal/http/api_handler.h>

#include <filesystem>
#include <string>

namespace parley::portal {

/// Serves the portal's pages from the web root: a page route (`/join/{link}`,
/// `/recordings`) gets its page, `/static/{file}` one of the listed files (no other path can
/// be named, so nothing outside the web root is reachable). Pages carry a strict
/// Content-Security-Policy: scripts and styles from the portal only, no inline code, media
/// from the browser's own streams or the portal.
class StaticFileHandler : public ApiHandler
{
public:
    /// `page` is what a route without a {file} placeholder serves.
    StaticFileHandler(const HandlerContext& context, std::filesystem::path webRoot,
                      std::string page = "meeting.html")
        : ApiHandler(context), webRoot_(std::move(webRoot)), page_(std::move(page))
    {}

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
    std::filesystem::path webRoot_;
    std::string page_;
};

/// The Content-Security-Policy of the meeting page.
extern const char* const kPageContentSecurityPolicy;

} // namespace parley::portal
