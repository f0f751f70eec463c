#pragma once

#include <parley/portal/accounts/account_settings.h>
#include <parley/portal/http/https_settings.h>
#include <parley/portal/meetings/meeting_settings.h>
#include <parley/portal/meetings/room_policy.h>

#include <chrono>
#include <string>
#include <vector>

namespace parley::portal {

/// The settings an admin may change at run time (GET/PUT /api/v1/admin/settings): address
/// lists, PIN lengths, session limits, login lockout, recording retention, room policy.
struct SecuritySettings
{
    /// CIDR blocks in canonical form (AddressList::entries()).
    std::vector<std::string> portalAllow;
    std::vector<std::string> portalDeny;
    std::vector<std::string> adminAllow;
    std::vector<std::string> adminDeny;
    int pinMinLength = 4;
    int pinMaxLength = 8;
    std::chrono::seconds sessionIdle{1800};
    std::chrono::seconds sessionLifetime{43200};
    int lockoutAccountAttempts = 5;
    int lockoutAddressAttempts = 20;
    std::chrono::seconds lockoutBase{30};
    std::chrono::seconds lockoutMax{900};
    int recordingRetentionDays = 0;
    /// The file's `[rooms]` policy keys; `rooms.pin_required` is the PIN rule forced on.
    RoomPolicy roomPolicy;

    /// The values the configuration file gave (parleyd's start-up settings).
    static SecuritySettings fromFile(const HttpsSettings& https, const AccountSettings& accounts,
                                     const MeetingSettings& meetings);

    /// The lists as the router checks them. Entries are already validated, so this does not
    /// throw for settings built by fromFile or the settings API.
    AccessPolicy portalAccess() const;
    AccessPolicy adminAccess() const;
    PinPolicy pinPolicy() const;
};

} // namespace parley::portal
