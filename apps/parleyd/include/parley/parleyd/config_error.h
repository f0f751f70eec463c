#pragma once

#include <stdexcept>

namespace parley::parleyd {

/// A configuration problem. The message names the key (or file and line) and the form
/// expected, so an administrator can fix it without reading the source.
class ConfigError : public std::runtime_error
{
public:
    using std::runtime_error::runtime_error;
};

} // namespace parley::parleyd
