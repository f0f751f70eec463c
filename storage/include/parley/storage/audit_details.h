#pragma once

#include <Poco/JSON/Object.h>

#include <sstream>
#include <string>

namespace parley::storage {

/// Builds the JSON object stored as an audit event's details, escaping whatever it is given.
class AuditDetails
{
public:
    AuditDetails() : object_(Poco::JSON_PRESERVE_KEY_ORDER) {}

    template <typename T>
    AuditDetails& add(const std::string& key, const T& value)
    {
        object_.set(key, value);
        return *this;
    }

    std::string text() const
    {
        std::ostringstream out;
        object_.stringify(out);
        return out.str();
    }

private:
    Poco::JSON::Object object_;
};

} // namespace parley::storage
