#include <parley/portal/recordings/volume_handlers.h>

#include <parley/portal/http/json_response.h>

#include <parley/volume/volume_check.h>

namespace parley::portal {

void VolumeStatusHandler::handle(const ApiRequest&, Poco::Net::HTTPServerResponse& response)
{
    Poco::JSON::Object body;
    body.set("mountPoint", mountPoint_.string());
    std::string whyNot;
    if (const auto volume = volume::inspectVolume(mountPoint_, whyNot)) {
        body.set("state", "unlocked");
        body.set("engine", volume::engineName(volume->engine));
        body.set("uuid", volume->uuid);
        body.set("device", volume->device);
        body.set("sizeBytes", volume->sizeBytes);
        body.set("freeBytes", volume->freeBytes);
    }
    else {
        body.set("state", "unavailable");
        body.set("reason", whyNot);
    }
    sendJson(response, Poco::Net::HTTPResponse::HTTP_OK, body);
}

} // namespace parley::portal
