#pragma once

#include <map>
#include <string>

namespace parley::parleyd {

/// An INI file listing every configuration key under its [section], each with its
/// description and accepted form as comments. Keys in `active` are written with that value;
/// every other key is commented out with its default, so the file means the same as no file
/// except for `active`. Throws ConfigError naming a key of `active` that is unknown or whose
/// value the key does not accept. The Debian package ships it as /etc/parley/parley.ini.
std::string configTemplate(const std::map<std::string, std::string>& active);

} // namespace parley::parleyd
