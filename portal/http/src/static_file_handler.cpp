#include <parley/portal/http/static_file_handler.h>

#include <parley/portal/http/http_error.h>

#include <fstream>
#include <map>
#include <sstream>

namespace parley::portal {

const char* const kPageContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob: mediastream:; connect-src 'self'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

namespace {

struct WebFile
{
    const char* name;
    const char* contentType;
};

// Everything the page consists of; a request for any other name is a 404.
const std::map<std::string, WebFile>& files()
{
    static const std::map<std::string, WebFile> table{
        {"meeting.html", {"meeting.html", "text/html; charset=utf-8"}},
        {"meeting.js", {"meeting.js", "text/javascript; charset=utf-8"}},
        {"meeting.css", {"meeting.css", "text/css; charset=utf-8"}},
        {"signaling.js", {"signaling.js", "text/javascript; charset=utf-8"}},
        {"media.js", {"media.js", "text/javascript; charset=utf-8"}},
        {"view.js", {"view.js", "text/javascript; charset=utf-8"}},
        {"texts.js", {"texts.js", "text/javascript; charset=utf-8"}},
        {"prejoin.js", {"prejoin.js", "text/javascript; charset=utf-8"}},
        {"levels.js", {"levels.js", "text/javascript; charset=utf-8"}},
        {"round-trip.js", {"round-trip.js", "text/javascript; charset=utf-8"}},
        {"shown-sizes.js", {"shown-sizes.js", "text/javascript; charset=utf-8"}},
        {"recordings.html", {"recordings.html", "text/html; charset=utf-8"}},
        {"recordings.js", {"recordings.js", "text/javascript; charset=utf-8"}},
        {"track-player.js", {"track-player.js", "text/javascript; charset=utf-8"}},
        {"recordings-texts.js", {"recordings-texts.js", "text/javascript; charset=utf-8"}},
        {"portal.html", {"portal.html", "text/html; charset=utf-8"}},
        {"portal.css", {"portal.css", "text/css; charset=utf-8"}},
        {"portal.js", {"portal.js", "text/javascript; charset=utf-8"}},
        {"portal-texts.js", {"portal-texts.js", "text/javascript; charset=utf-8"}},
        {"api.js", {"api.js", "text/javascript; charset=utf-8"}},
        {"dom.js", {"dom.js", "text/javascript; charset=utf-8"}},
        {"home-room.js", {"home-room.js", "text/javascript; charset=utf-8"}},
        {"home-meetings.js", {"home-meetings.js", "text/javascript; charset=utf-8"}},
        {"home-invitations.js", {"home-invitations.js", "text/javascript; charset=utf-8"}},
        {"admin.html", {"admin.html", "text/html; charset=utf-8"}},
        {"admin.css", {"admin.css", "text/css; charset=utf-8"}},
        {"admin.js", {"admin.js", "text/javascript; charset=utf-8"}},
        {"admin-texts.js", {"admin-texts.js", "text/javascript; charset=utf-8"}},
        {"admin-format.js", {"admin-format.js", "text/javascript; charset=utf-8"}},
        {"admin-pager.js", {"admin-pager.js", "text/javascript; charset=utf-8"}},
        {"admin-overview.js", {"admin-overview.js", "text/javascript; charset=utf-8"}},
        {"admin-meetings.js", {"admin-meetings.js", "text/javascript; charset=utf-8"}},
        {"admin-users.js", {"admin-users.js", "text/javascript; charset=utf-8"}},
        {"admin-rooms.js", {"admin-rooms.js", "text/javascript; charset=utf-8"}},
        {"admin-recordings.js", {"admin-recordings.js", "text/javascript; charset=utf-8"}},
        {"admin-directory.js", {"admin-directory.js", "text/javascript; charset=utf-8"}},
        {"admin-settings.js", {"admin-settings.js", "text/javascript; charset=utf-8"}},
        {"admin-audit.js", {"admin-audit.js", "text/javascript; charset=utf-8"}},
        {"admin-sip.js", {"admin-sip.js", "text/javascript; charset=utf-8"}},
        {"admin-tls.js", {"admin-tls.js", "text/javascript; charset=utf-8"}},
        {"admin-volume.js", {"admin-volume.js", "text/javascript; charset=utf-8"}},
    };
    return table;
}

} // namespace

void StaticFileHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto file = request.params.contains("file") ? request.params.at("file") : page_;
    const auto found = files().find(file);
    if (found == files().end())
        throw HttpError(Poco::Net::HTTPResponse::HTTP_NOT_FOUND, "not_found", "no such resource");
    std::ifstream in(webRoot_ / found->second.name, std::ios::binary);
    if (!in)
        throw HttpError(Poco::Net::HTTPResponse::HTTP_NOT_FOUND, "not_found",
                        "the meeting page is not installed on this server");
    std::ostringstream body;
    body << in.rdbuf();
    const auto text = body.str();
    response.set("Content-Security-Policy", kPageContentSecurityPolicy);
    // The page may use the camera and microphone; nothing else.
    response.set("Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self), "
                                       "geolocation=(), payment=(), usb=()");
    response.setContentType(found->second.contentType);
    response.setContentLength(static_cast<std::streamsize>(text.size()));
    response.setStatusAndReason(request.params.contains("file") ? Poco::Net::HTTPResponse::HTTP_OK : pageStatus(request));
    if (request.http.getMethod() == "HEAD") {
        response.send();
        return;
    }
    response.send() << text;
}

Poco::Net::HTTPResponse::HTTPStatus StaticFileHandler::pageStatus(const ApiRequest&) const
{
    return Poco::Net::HTTPResponse::HTTP_OK;
}

std::string StaticFileHandler::signInRedirect() const
{
    return signIn_;
}

} // namespace parley::portal
