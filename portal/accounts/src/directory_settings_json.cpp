#include "directory_settings_json.h"

#include <parley/portal/http/http_error.h>

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace parley::portal {
namespace {

using Status = Poco::Net::HTTPResponse::HTTPStatus;

[[noreturn]] void invalid(const std::string& field, const std::string& expected)
{
    throw HttpError(Status::HTTP_BAD_REQUEST, "invalid_request", "'" + field + "' must be " + expected);
}

Poco::JSON::Array::Ptr array(const std::vector<std::string>& values)
{
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& value : values)
        list->add(value);
    return list;
}

void setString(const Poco::JSON::Object& json, const std::string& field, std::string& target)
{
    if (!json.has(field))
        return;
    const auto value = json.get(field);
    if (!value.isString() || value.extract<std::string>().size() > 4096)
        invalid(field, "a string of at most 4096 bytes");
    target = value.extract<std::string>();
}

void setBool(const Poco::JSON::Object& json, const std::string& field, bool& target)
{
    if (!json.has(field))
        return;
    const auto value = json.get(field);
    if (value.type() != typeid(bool))
        invalid(field, "true or false");
    target = value.extract<bool>();
}

void setList(const Poco::JSON::Object& json, const std::string& field, std::vector<std::string>& target)
{
    if (!json.has(field))
        return;
    const auto list = json.getArray(field);
    if (!list || list->size() > 100)
        invalid(field, "an array of at most 100 strings");
    target.clear();
    for (std::size_t i = 0; i < list->size(); ++i) {
        const auto value = list->get(static_cast<unsigned>(i));
        if (!value.isString())
            invalid(field, "an array of strings");
        target.push_back(value.extract<std::string>());
    }
}

void setSeconds(const Poco::JSON::Object& json, const std::string& field, std::chrono::seconds& target,
                int max)
{
    if (!json.has(field))
        return;
    const auto value = json.get(field);
    if (!value.isInteger() || value.convert<long long>() < 1 || value.convert<long long>() > max)
        invalid(field, "a whole number of seconds from 1 to " + std::to_string(max));
    target = std::chrono::seconds(value.convert<long long>());
}

} // namespace

Poco::JSON::Object::Ptr directorySettingsJson(const ldap::DirectorySettings& s)
{
    Poco::JSON::Object::Ptr json = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    json->set("enabled", s.enabled);
    json->set("uris", array(s.uris));
    json->set("allowPlain", s.allowPlain);
    json->set("caFile", s.caFile);
    json->set("verifyCertificate", s.verifyCertificate);
    json->set("bindDn", s.bindDn);
    json->set("bindPasswordSet", !s.bindPassword.empty());
    json->set("userBase", s.userBase);
    json->set("userFilter", s.userFilter);
    json->set("loginAttribute", s.loginAttribute);
    json->set("displayNameAttribute", s.displayNameAttribute);
    json->set("mailAttribute", s.mailAttribute);
    json->set("groupMode", s.groupMode);
    json->set("groupBase", s.groupBase);
    json->set("groupFilter", s.groupFilter);
    json->set("adminGroups", array(s.adminGroups));
    json->set("auditorGroups", array(s.auditorGroups));
    json->set("userGroups", array(s.userGroups));
    json->set("networkTimeoutSeconds", static_cast<long long>(s.networkTimeout.count()));
    json->set("operationTimeoutSeconds", static_cast<long long>(s.operationTimeout.count()));
    return json;
}

ldap::DirectorySettings applyDirectorySettingsJson(const Poco::JSON::Object& json,
                                                   ldap::DirectorySettings s)
{
    setBool(json, "enabled", s.enabled);
    setList(json, "uris", s.uris);
    setBool(json, "allowPlain", s.allowPlain);
    setString(json, "caFile", s.caFile);
    setBool(json, "verifyCertificate", s.verifyCertificate);
    setString(json, "bindDn", s.bindDn);
    setString(json, "bindPassword", s.bindPassword);
    setString(json, "userBase", s.userBase);
    setString(json, "userFilter", s.userFilter);
    setString(json, "loginAttribute", s.loginAttribute);
    setString(json, "displayNameAttribute", s.displayNameAttribute);
    setString(json, "mailAttribute", s.mailAttribute);
    setString(json, "groupMode", s.groupMode);
    setString(json, "groupBase", s.groupBase);
    setString(json, "groupFilter", s.groupFilter);
    setList(json, "adminGroups", s.adminGroups);
    setList(json, "auditorGroups", s.auditorGroups);
    setList(json, "userGroups", s.userGroups);
    setSeconds(json, "networkTimeoutSeconds", s.networkTimeout, 120);
    setSeconds(json, "operationTimeoutSeconds", s.operationTimeout, 300);
    if (!ldap::isGroupMode(s.groupMode))
        invalid("groupMode", "memberof, search or nested_search");
    if (s.userFilter.find("{login}") == std::string::npos)
        invalid("userFilter", "a filter containing {login}");
    for (const auto& uri : s.uris)
        if (uri.rfind("ldap://", 0) != 0 && uri.rfind("ldaps://", 0) != 0)
            invalid("uris", "ldap:// or ldaps:// URIs");
    if (s.enabled && s.uris.empty())
        invalid("uris", "at least one URI when enabled");
    return s;
}

std::string directorySettingsToStoredJson(const ldap::DirectorySettings& settings)
{
    auto json = directorySettingsJson(settings);
    json->remove("bindPasswordSet");
    json->set("bindPassword", settings.bindPassword);
    std::ostringstream out;
    json->stringify(out);
    return out.str();
}

ldap::DirectorySettings directorySettingsFromStoredJson(const std::string& text)
{
    const auto json = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    return applyDirectorySettingsJson(*json, ldap::DirectorySettings{});
}

} // namespace parley::portal
