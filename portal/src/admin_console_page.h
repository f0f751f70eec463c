#pragma once

#include <parley/portal/http/static_file_handler.h>

namespace parley::portal {

/// `GET /admin`: the admin console's page. A browser without a session goes to the front
/// door's sign-in first. Admins and auditors from an address the `[access]` admin lists
/// permit get it with 200; anyone else signed in gets 403 (audited as `access.denied`) with
/// the same page, which tells them in words that it is not for them. The page holds no data:
/// everything it shows comes from the admin and audit APIs, which check the same.
class AdminConsolePageHandler : public StaticFileHandler
{
public:
    AdminConsolePageHandler(const HandlerContext& context, std::filesystem::path webRoot)
        : StaticFileHandler(context, std::move(webRoot), "admin.html", "/?next=/admin")
    {}

protected:
    Poco::Net::HTTPResponse::HTTPStatus pageStatus(const ApiRequest& request) const override;
};

} // namespace parley::portal
