#include <parley/portal/recordings/volume_handlers.h>

#include <parley/portal/http/json_response.h>

#include <parley/volume/luks_container.h>
#include <parley/volume/volume_check.h>
#include <parley/volume/volume_error.h>

#include <Poco/JSON/Array.h>

namespace parley::portal {

Poco::JSON::Object::Ptr volumeStatusJson(const std::filesystem::path& mountPoint,
                                         const std::filesystem::path& container)
{
    Poco::JSON::Object::Ptr body = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    body->set("mountPoint", mountPoint.string());
    body->set("container", container.string());
    std::string whyNot;
    if (const auto volume = volume::inspectVolume(mountPoint, whyNot)) {
        body->set("state", "unlocked");
        body->set("engine", volume::engineName(volume->engine));
        body->set("uuid", volume->uuid);
        body->set("device", volume->device);
        body->set("sizeBytes", volume->sizeBytes);
        body->set("freeBytes", volume->freeBytes);
    }
    else {
        body->set("state", "unavailable");
        body->set("reason", whyNot);
    }
    // The header is not secret, but the container is usually root's alone: then only
    // `parleyctl volume status` (as root) can list the slots.
    try {
        const auto info = volume::LuksContainer::open(container).info();
        Poco::JSON::Array::Ptr slots = new Poco::JSON::Array;
        for (const int slot : info.keyslots)
            slots->add(slot);
        body->set("keySlots", slots);
    }
    catch (const std::runtime_error& e) { // VolumeError, or a directory above it we may not enter
        body->set("keySlots", Poco::Dynamic::Var());
        body->set("keySlotsUnknown", std::string("the server cannot read the container's header (") + e.what() +
                                         "); run parleyctl volume status as root to see the key slots");
    }
    Poco::JSON::Object::Ptr commands = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    commands->set("status", "sudo parleyctl volume status");
    commands->set("unlock", "sudo parleyctl volume unlock");
    commands->set("lock", "sudo parleyctl volume lock");
    commands->set("addKey", "sudo parleyctl volume add-key");
    commands->set("revokeKey", "sudo parleyctl volume revoke-key SLOT");
    commands->set("backupHeader", "sudo parleyctl volume backup-header FILE");
    body->set("commands", commands);
    return body;
}

void VolumeStatusHandler::handle(const ApiRequest&, Poco::Net::HTTPServerResponse& response)
{
    sendJson(response, Poco::Net::HTTPResponse::HTTP_OK, *volumeStatusJson(mountPoint_, container_));
}

} // namespace parley::portal
