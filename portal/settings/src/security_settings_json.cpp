#include "security_settings_json.h"

#include <parley/portal/http/address_list.h>
#include <parley/portal/http/http_error.h>

#include <Poco/Exception.h>
#include <Poco/JSON/Array.h>

#include <functional>

namespace parley::portal {
namespace {

using Var = Poco::Dynamic::Var;
using Status = Poco::Net::HTTPResponse::HTTPStatus;

/// Most entries one address list may hold: enough for any site's networks, and each request
/// is checked against every entry.
constexpr std::size_t kMaxListEntries = 256;
constexpr std::size_t kMaxEntryBytes = 64;

HttpError invalid(const std::string& key, const std::string& message)
{
    return HttpError(Status::HTTP_BAD_REQUEST, "invalid_setting", "'" + key + "' " + message);
}

// The same ranges as the configuration file's keys (apps/parleyd config_keys.cpp).
int integerIn(const std::string& key, const Var& value, std::int64_t low, std::int64_t high)
{
    const auto outside = [&] {
        return invalid(key, "must be a whole number from " + std::to_string(low) + " to " + std::to_string(high));
    };
    if (value.isEmpty() || !value.isInteger())
        throw outside();
    std::int64_t number = 0;
    try {
        number = value.convert<Poco::Int64>();
    }
    catch (const Poco::Exception&) {
        throw outside();
    }
    if (number < low || number > high)
        throw outside();
    return static_cast<int>(number);
}

std::vector<std::string> addressList(const std::string& key, const Var& value)
{
    if (value.isEmpty() || value.type() != typeid(Poco::JSON::Array::Ptr))
        throw invalid(key, "must be an array of IP addresses or CIDR blocks such as \"10.0.0.0/8\"");
    const auto array = value.extract<Poco::JSON::Array::Ptr>();
    if (array->size() > kMaxListEntries)
        throw invalid(key, "may hold at most " + std::to_string(kMaxListEntries) + " entries");
    std::vector<std::string> entries;
    for (const auto& item : *array) {
        if (!item.isString())
            throw invalid(key, "must hold strings (IP addresses or CIDR blocks)");
        const auto text = item.extract<std::string>();
        // One block per entry: the file's separators have no place inside a JSON string.
        if (text.empty() || text.size() > kMaxEntryBytes || text.find_first_of(", \t") != std::string::npos)
            throw invalid(key, "entries are single IP addresses or CIDR blocks, not '" + text.substr(0, kMaxEntryBytes) + "'");
        try {
            for (auto& entry : AddressList::parse(text).entries())
                entries.push_back(std::move(entry));
        }
        catch (const AddressListError& e) {
            throw invalid(key, std::string("has an entry that is not valid: ") + e.what());
        }
    }
    return entries;
}

Var listValue(const std::vector<std::string>& entries)
{
    Poco::JSON::Array::Ptr array = new Poco::JSON::Array;
    for (const auto& entry : entries)
        array->add(entry);
    return array;
}

Poco::JSON::Object::Ptr objectOf(const std::string& key, const Var& value)
{
    if (value.isEmpty() || value.type() != typeid(Poco::JSON::Object::Ptr))
        throw invalid(key, "must be an object");
    return value.extract<Poco::JSON::Object::Ptr>();
}

void onlyFields(const std::string& key, const Poco::JSON::Object& object, std::initializer_list<const char*> fields)
{
    for (const auto& [name, ignored] : object) {
        bool known = false;
        for (const auto* field : fields)
            known = known || name == field;
        if (!known)
            throw invalid(key, "has no field '" + name.substr(0, 64) + "'");
    }
}

bool booleanField(const std::string& key, const Poco::JSON::Object& object, const std::string& field)
{
    const auto value = object.get(field);
    if (value.isEmpty() || !value.isBoolean())
        throw invalid(key, "needs '" + field + "': true or false");
    return value.extract<bool>();
}

OptionMode modeField(const std::string& key, const Poco::JSON::Object& object, bool forcedOnAllowed)
{
    const auto value = object.get("mode");
    const auto mode = value.isString() ? optionModeNamed(value.extract<std::string>()) : std::nullopt;
    if (!mode || (!forcedOnAllowed && *mode == OptionMode::ForcedOn))
        throw invalid(key, forcedOnAllowed ? "needs 'mode': \"optional\", \"forced_on\" or \"forced_off\""
                                           : "needs 'mode': \"optional\" or \"forced_off\"");
    return *mode;
}

Var ruleValue(const OptionRule& rule)
{
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("mode", optionModeName(rule.mode));
    object->set("default", rule.byDefault);
    return object;
}

OptionRule ruleFrom(const std::string& key, const Var& value)
{
    const auto object = objectOf(key, value);
    onlyFields(key, *object, {"mode", "default"});
    return {modeField(key, *object, true), booleanField(key, *object, "default")};
}

Var recordingValue(const RecordingRule& rule)
{
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    object->set("mode", optionModeName(rule.mode));
    object->set("guestModerators", rule.guestModerators);
    return object;
}

RecordingRule recordingFrom(const std::string& key, const Var& value)
{
    const auto object = objectOf(key, value);
    onlyFields(key, *object, {"mode", "guestModerators"});
    return {modeField(key, *object, false), booleanField(key, *object, "guestModerators")};
}

struct Key
{
    std::string name;
    std::function<Var(const SecuritySettings&)> get;
    std::function<void(SecuritySettings&, const std::string&, const Var&)> set;
};

Key list(const char* name, std::vector<std::string> SecuritySettings::*field)
{
    return {name, [field](const SecuritySettings& s) { return listValue(s.*field); },
            [field](SecuritySettings& s, const std::string& key, const Var& v) { s.*field = addressList(key, v); }};
}

Key number(const char* name, int SecuritySettings::*field, int low, int high)
{
    return {name, [field](const SecuritySettings& s) { return Var(s.*field); },
            [field, low, high](SecuritySettings& s, const std::string& key, const Var& v) {
                s.*field = integerIn(key, v, low, high);
            }};
}

Key seconds(const char* name, std::chrono::seconds SecuritySettings::*field, int low, int high)
{
    return {name, [field](const SecuritySettings& s) { return Var(static_cast<Poco::Int64>((s.*field).count())); },
            [field, low, high](SecuritySettings& s, const std::string& key, const Var& v) {
                s.*field = std::chrono::seconds(integerIn(key, v, low, high));
            }};
}

Key option(const char* name, OptionRule RoomPolicy::*field)
{
    return {std::string("roomPolicy.") + name,
            [field](const SecuritySettings& s) { return ruleValue(s.roomPolicy.*field); },
            [field](SecuritySettings& s, const std::string& key, const Var& v) { s.roomPolicy.*field = ruleFrom(key, v); }};
}

const std::vector<Key>& keys()
{
    static const std::vector<Key> table{
        list("portalAllow", &SecuritySettings::portalAllow),
        list("portalDeny", &SecuritySettings::portalDeny),
        list("adminAllow", &SecuritySettings::adminAllow),
        list("adminDeny", &SecuritySettings::adminDeny),
        number("pinMinLength", &SecuritySettings::pinMinLength, 3, 12),
        number("pinMaxLength", &SecuritySettings::pinMaxLength, 3, 12),
        seconds("sessionIdleSeconds", &SecuritySettings::sessionIdle, 1, 86400),
        seconds("sessionLifetimeSeconds", &SecuritySettings::sessionLifetime, 1, 2592000),
        number("lockoutAccountAttempts", &SecuritySettings::lockoutAccountAttempts, 1, 1000),
        number("lockoutAddressAttempts", &SecuritySettings::lockoutAddressAttempts, 1, 100000),
        seconds("lockoutBaseSeconds", &SecuritySettings::lockoutBase, 1, 3600),
        seconds("lockoutMaxSeconds", &SecuritySettings::lockoutMax, 1, 86400),
        number("recordingRetentionDays", &SecuritySettings::recordingRetentionDays, 0, 36500),
        option("waitingRoom", &RoomPolicy::waitingRoom),
        option("guestsAllowed", &RoomPolicy::guestsAllowed),
        option("usersWait", &RoomPolicy::usersWait),
        option("pin", &RoomPolicy::pin),
        {"roomPolicy.recording", [](const SecuritySettings& s) { return recordingValue(s.roomPolicy.recording); },
         [](SecuritySettings& s, const std::string& key, const Var& v) { s.roomPolicy.recording = recordingFrom(key, v); }},
    };
    return table;
}

const Key* keyNamed(const std::string& name)
{
    for (const auto& key : keys())
        if (key.name == name)
            return &key;
    return nullptr;
}

HttpError unknown(const std::string& name)
{
    return HttpError(Status::HTTP_BAD_REQUEST, "unknown_setting",
                     "there is no setting '" + name.substr(0, 64) + "' (docs/api.md lists them)");
}

constexpr const char* kRoomPolicy = "roomPolicy";

} // namespace

const std::vector<std::string>& settingKeys()
{
    static const std::vector<std::string> names = [] {
        std::vector<std::string> list;
        for (const auto& key : keys())
            list.push_back(key.name);
        return list;
    }();
    return names;
}

Poco::Dynamic::Var settingValue(const SecuritySettings& settings, const std::string& key)
{
    const auto* found = keyNamed(key);
    if (!found)
        throw unknown(key);
    return found->get(settings);
}

void applySetting(SecuritySettings& settings, const std::string& key, const Poco::Dynamic::Var& value)
{
    const auto* found = keyNamed(key);
    if (!found)
        throw unknown(key);
    found->set(settings, key, value);
}

void checkSettings(const SecuritySettings& settings)
{
    if (settings.pinMinLength > settings.pinMaxLength)
        throw invalid("pinMinLength", "(" + std::to_string(settings.pinMinLength) +
                                          ") must not be larger than 'pinMaxLength' (" +
                                          std::to_string(settings.pinMaxLength) + ")");
    if (settings.lockoutBase > settings.lockoutMax)
        throw invalid("lockoutBaseSeconds", "(" + std::to_string(settings.lockoutBase.count()) +
                                                ") must not be larger than 'lockoutMaxSeconds' (" +
                                                std::to_string(settings.lockoutMax.count()) + ")");
}

Poco::JSON::Object::Ptr settingsJson(const SecuritySettings& settings)
{
    Poco::JSON::Object::Ptr object = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    Poco::JSON::Object::Ptr rooms = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    const std::string prefix = std::string(kRoomPolicy) + ".";
    for (const auto& key : keys()) {
        if (key.name.starts_with(prefix))
            rooms->set(key.name.substr(prefix.size()), key.get(settings));
        else
            object->set(key.name, key.get(settings));
    }
    object->set(kRoomPolicy, rooms);
    return object;
}

std::map<std::string, Poco::Dynamic::Var> settingChanges(const Poco::JSON::Object& body,
                                                         const SecuritySettings& current)
{
    std::map<std::string, Var> changes;
    SecuritySettings scratch = current;
    const auto take = [&](const std::string& name, const Var& value) {
        applySetting(scratch, name, value);
        // Stored as the API shows it: canonical address blocks, complete room options.
        changes[name] = settingValue(scratch, name);
    };
    for (const auto& [name, value] : body) {
        if (name != kRoomPolicy) {
            if (!keyNamed(name))
                throw unknown(name);
            take(name, value);
            continue;
        }
        const auto options = objectOf(kRoomPolicy, value);
        for (const auto& [option, given] : *options) {
            const auto key = std::string(kRoomPolicy) + "." + option;
            if (!keyNamed(key))
                throw unknown(key);
            // Fields left out keep their value in force.
            const auto partial = objectOf(key, given);
            Poco::JSON::Object::Ptr merged = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
            const auto now = settingValue(current, key).extract<Poco::JSON::Object::Ptr>();
            for (const auto& [field, fieldValue] : *now)
                merged->set(field, fieldValue);
            for (const auto& [field, fieldValue] : *partial)
                merged->set(field, fieldValue);
            take(key, merged);
        }
    }
    return changes;
}

} // namespace parley::portal
