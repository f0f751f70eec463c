#include "configuration_audit.h"

#include <parley/storage/audit_log.h>
#include <parley/storage/database.h>

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

using namespace Poco::Data::Keywords;

namespace parley::parleyd {
namespace {

constexpr const char* kStateKey = "last_configuration";

std::string toJson(const std::map<std::string, std::string>& values)
{
    Poco::JSON::Object object(Poco::JSON_PRESERVE_KEY_ORDER);
    for (const auto& [key, value] : values)
        object.set(key, value);
    std::ostringstream out;
    object.stringify(out);
    return out.str();
}

} // namespace

void auditConfigurationChange(storage::Database& database, storage::AuditLog& audit,
                              const std::map<std::string, std::string>& effective)
{
    auto session = database.session();
    std::vector<std::string> stored;
    std::string key = kStateKey;
    session << "SELECT value FROM server_state WHERE key = ?", use(key), into(stored), now;

    std::string current = toJson(effective);
    if (!stored.empty() && stored.front() != current) {
        Poco::JSON::Object::Ptr previous;
        try {
            previous = Poco::JSON::Parser().parse(stored.front()).extract<Poco::JSON::Object::Ptr>();
        }
        catch (const Poco::Exception&) {
            previous = new Poco::JSON::Object; // unreadable: report every key as new
        }
        Poco::JSON::Object changes(Poco::JSON_PRESERVE_KEY_ORDER);
        for (const auto& [name, value] : effective) {
            const auto before = previous->has(name) ? previous->getValue<std::string>(name) : std::string();
            if (!previous->has(name) || before != value) {
                Poco::JSON::Object::Ptr change = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
                change->set("from", before);
                change->set("to", value);
                changes.set(name, change);
            }
        }
        if (changes.size() > 0) {
            std::ostringstream details;
            changes.stringify(details);
            audit.append({"system", "local", "config.change", "configuration", "success",
                          details.str()});
        }
    }
    session << "INSERT OR REPLACE INTO server_state (key, value) VALUES (?, ?)", use(key),
        use(current), now;
}

} // namespace parley::parleyd
