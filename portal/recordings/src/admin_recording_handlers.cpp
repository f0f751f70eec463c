#include <parley/portal/recordings/recording_handlers.h>

#include "recording_access.h"
#include "recording_json.h"
#include <parley/portal/http/http_error.h>
#include <parley/portal/http/json_fields.h>
#include <parley/portal/http/json_response.h>
#include <parley/portal/recordings/recording_library.h>

#include <parley/storage/recording_store.h>
#include <parley/volume/volume_check.h>

#include <Poco/JSON/Array.h>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

} // namespace

void AdminRecordingsHandler::handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response)
{
    const auto page = pageOf(request);
    const auto text = searchOf(request);
    storage::RecordingStore store(services().database);
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& recording : store.search(text, page.offset(), page.perPage))
        list->add(recordingJson(recording, rightsOf(recording, *request.principal, store), services(), store));
    Poco::JSON::Object body(Poco::JSON_PRESERVE_KEY_ORDER);
    body.set("recordings", list);
    body.set("page", page.page);
    body.set("perPage", page.perPage);
    body.set("total", store.count(text));
    const auto tally = store.tally();
    Poco::JSON::Object storage(Poco::JSON_PRESERVE_KEY_ORDER);
    storage.set("composedBytes", tally.composedBytes);
    std::string whyNot;
    if (const auto volume = volume::inspectVolume(services().recordingLibrary.volumePath(), whyNot)) {
        storage.set("sizeBytes", volume->sizeBytes);
        storage.set("usedBytes", volume->sizeBytes - std::min(volume->sizeBytes, volume->freeBytes));
        storage.set("freeBytes", volume->freeBytes);
    }
    else {
        // Locked or missing: nothing can be said about its space.
        for (const char* field : {"sizeBytes", "usedBytes", "freeBytes"})
            storage.set(field, Poco::Dynamic::Var());
        storage.set("unavailable", whyNot);
    }
    body.set("storage", storage);
    sendJson(response, Status::HTTP_OK, body);
}

} // namespace parley::portal
