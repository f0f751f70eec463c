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
    /// `page` is what a route without a {file} placeholder serves. With a `signIn` location
    /// (e.g. "/?next=/admin"), a browser without a session is sent there (303) instead of
    /// getting a 401; the route's Access decides who is served once signed in.
    StaticFileHandler(const HandlerContext& context, std::filesystem::path webRoot,
                      std::string page = "meeting.html", std::string signIn = {})
        : ApiHandler(context), webRoot_(std::move(webRoot)), page_(std::move(page)), signIn_(std::move(signIn))
    {}

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;
    std::string signInRedirect() const override;
    /// The status the page is served with (200 here); a page for some callers only may
    /// answer others 403 with the same page, which then explains itself.
    virtual Poco::Net::HTTPResponse::HTTPStatus pageStatus(const ApiRequest& request) const;

private:
    std::filesystem::path webRoot_;
    std::string page_;
    std::string signIn_;
};

/// The Content-Security-Policy of the meeting page.
extern const char* const kPageContentSecurityPolicy;

} // namespace parley::portal
