#include <parley/portal/settings/security_settings.h>

namespace parley::portal {
namespace {

AddressList listOf(const std::vector<std::string>& entries)
{
    std::string text;
    for (const auto& entry : entries)
        text += entry + ",";
    return AddressList::parse(text);
}

} // namespace

SecuritySettings SecuritySettings::fromFile(const HttpsSettings& https, const AccountSettings& accounts,
                                            const MeetingSettings& meetings)
{
    SecuritySettings settings;
    settings.portalAllow = https.portalAccess.allow.entries();
    settings.portalDeny = https.portalAccess.deny.entries();
    settings.adminAllow = https.adminAccess.allow.entries();
    settings.adminDeny = https.adminAccess.deny.entries();
    settings.pinMinLength = meetings.pin.minLength;
    settings.pinMaxLength = meetings.pin.maxLength;
    settings.sessionIdle = accounts.sessionIdleTimeout;
    settings.sessionLifetime = accounts.sessionLifetime;
    settings.lockoutAccountAttempts = accounts.throttle.accountFreeAttempts;
    settings.lockoutAddressAttempts = accounts.throttle.addressFreeAttempts;
    settings.lockoutBase = accounts.throttle.baseLockout;
    settings.lockoutMax = accounts.throttle.maxLockout;
    settings.recordingRetentionDays = meetings.recording.retentionDays;
    settings.roomPolicy = meetings.roomPolicy;
    settings.roomPolicy.pin.mode = meetings.pin.required ? OptionMode::ForcedOn : OptionMode::Optional;
    return settings;
}

AccessPolicy SecuritySettings::portalAccess() const
{
    return {listOf(portalAllow), listOf(portalDeny)};
}

AccessPolicy SecuritySettings::adminAccess() const
{
    return {listOf(adminAllow), listOf(adminDeny)};
}

PinPolicy SecuritySettings::pinPolicy() const
{
    return {pinMinLength, pinMaxLength, roomPolicy.pin.mode == OptionMode::ForcedOn};
}

} // namespace parley::portal
