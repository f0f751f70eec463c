#pragma once

#include <parley/ldap/directory_settings.h>

#include <Poco/JSON/Object.h>

namespace parley::portal {

/// The settings as the admin API shows them: everything but the bind password, which is
/// replaced by `bindPasswordSet`.
Poco::JSON::Object::Ptr directorySettingsJson(const ldap::DirectorySettings& settings);

/// `base` with the fields present in `json` replaced (a missing bindPassword keeps the old
/// one). Throws HttpError 400 naming a field of the wrong type or an invalid value.
ldap::DirectorySettings applyDirectorySettingsJson(const Poco::JSON::Object& json,
                                                   ldap::DirectorySettings base);

/// For storing in the database (with the password).
std::string directorySettingsToStoredJson(const ldap::DirectorySettings& settings);
ldap::DirectorySettings directorySettingsFromStoredJson(const std::string& text);

} // namespace parley::portal
