#pragma once

#include <Poco/Data/Session.h>

#include <string>
#include <string_view>

namespace parley::storage {

/// Case-insensitive search in stored text. SQLite's own lower() and LIKE fold only A to Z,
/// so "ö" would not find "Ödegaard"; every connection gets `parley_fold(text)`, the
/// Unicode lower case of its argument (NULL stays NULL), and searches compare
/// `instr(parley_fold(column), ?)` with a needle folded by foldCase. instr has no
/// wildcards, so `%` and `_` in the needle are plain characters.

/// Unicode simple lower case of UTF-8 text (Poco::UTF8::toLower); bytes that are not UTF-8
/// come out as '?'.
std::string foldCase(std::string_view text);

/// Adds `parley_fold` to the connection; throws DatabaseError naming SQLite's error if it
/// cannot.
void registerTextSearch(Poco::Data::Session& session);

} // namespace parley::storage
