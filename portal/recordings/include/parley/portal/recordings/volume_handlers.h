#pragma once

#include <parley/portal/http/api_handler.h>

#include <filesystem>

namespace parley::portal {

/// `GET /api/v1/admin/volume`: whether the recording volume is an unlocked Parley volume
/// that recordings may be written to, and if not, why. Read from the mount table and the
/// volume itself (the server needs no privilege and never sees a key).
class VolumeStatusHandler : public ApiHandler
{
public:
    VolumeStatusHandler(const HandlerContext& context, std::filesystem::path mountPoint)
        : ApiHandler(context), mountPoint_(std::move(mountPoint))
    {}

protected:
    void handle(const ApiRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
    std::filesystem::path mountPoint_;
};

} // namespace parley::portal
