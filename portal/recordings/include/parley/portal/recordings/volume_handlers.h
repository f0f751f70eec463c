#pragma once

#include <parley/portal/http/api_handler.h>

#include <Poco/JSON/Object.h>

#include <filesystem>

namespace parley::portal {

/// The volume's state as `GET /api/v1/admin/volume` and the admin overview show it: whether
/// it is an unlocked Parley volume that recordings may be written to (and if not, why), the
/// key slots in use when the container's header is readable, and the commands an operator
/// runs as root. Read from the mount table, the volume and the LUKS header: the server needs
/// no privilege and never sees a key.
Poco::JSON::Object::Ptr volumeStatusJson(const std::filesystem::path& mountPoint,
                                         const std::filesystem::path& container);

/// `GET /api/v1/admin/volume`: volumeStatusJson.
class VolumeStatusHandler : public ApiHandler
{
public:
    VolumeStatusHandler(const HandlerContext& context, std::filesystem::path mountPoint,
                        std::filesystem::path container)
        : ApiHandler(context), mountPoint_(std::move(mountPoint)), container_(std::move(container))
    {}

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
    std::filesystem::path mountPoint_;
    std::filesystem::path container_;
};

} // namespace parley::portal
