#include <parley/portal/accounts/user_search_handler.h>

#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/http/text_validation.h>

#include <parley/storage/user_store.h>

#include <Poco/JSON/Array.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

constexpr std::size_t kMaxQueryCharacters = 64;
constexpr std::int64_t kMaxResults = 20; // a pick list, not a directory export

} // namespace

void UserSearchHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto text = request.query("q");
    // The query string is percent-decoded: check what it decoded to, not what was sent.
    if (text.empty() || !isValidUtf8(text) || hasControlCharacters(text) || utf8Length(text) > kMaxQueryCharacters)
        throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request",
                        "'q' must be 1 to 64 printable characters of a username or display name");
    Poco::JSON::Array::Ptr users = new Poco::JSON::Array;
    for (const auto& user : storage::UserStore(services().database).searchEnabled(text, kMaxResults)) {
        Poco::JSON::Object::Ptr entry = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
        entry->set("username", user.username);
        // As the meeting roster shows them.
        entry->set("displayName", user.displayName.empty() ? user.username : user.displayName);
        users->add(entry);
    }
    Poco::JSON::Object body;
    body.set("users", users);
    sendJson(response, Status::HTTP_OK, body);
}

} // namespace parley::portal
