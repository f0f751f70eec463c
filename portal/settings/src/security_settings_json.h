#pragma once

#include <parley/portal/settings/security_settings.h>

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <map>
#include <string>
#include <vector>

namespace parley::portal {

/// The settings API's keys, each set and reverted on its own: the scalar keys
/// ("portalAllow", "pinMinLength", ...) and one per room option ("roomPolicy.waitingRoom").
const std::vector<std::string>& settingKeys();

/// One key's value as the API shows it (an array, a number, or a room option's object).
Poco::Dynamic::Var settingValue(const SecuritySettings& settings, const std::string& key);

/// Sets one key from its API value. Throws HttpError 400 `invalid_setting` naming the key and
/// the accepted values for a value of the wrong type or outside its range, or an address
/// entry that is not one IP address or CIDR block.
void applySetting(SecuritySettings& settings, const std::string& key, const Poco::Dynamic::Var& value);

/// Checks the rules between keys (PIN lengths, lockout times); HttpError 400
/// `invalid_setting` naming the key that breaks one.
void checkSettings(const SecuritySettings& settings);

/// The whole settings object of GET /api/v1/admin/settings (roomPolicy nested).
Poco::JSON::Object::Ptr settingsJson(const SecuritySettings& settings);

/// A PUT body as key -> new value (API form), each checked against its key. A room option
/// may be given in part ({"mode": "forced_on"}): its other fields keep their value in
/// `current`. Throws HttpError 400 `unknown_setting` for a key the API does not have, or
/// `invalid_setting` as applySetting.
std::map<std::string, Poco::Dynamic::Var> settingChanges(const Poco::JSON::Object& body,
                                                         const SecuritySettings& current);

} // namespace parley::portal
