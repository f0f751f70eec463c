#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace parley::portal {

/// How much one JSON text may hold. Poco's parser builds the whole tree before anyone can
/// look at it, at about 850 bytes per value: a 1 MB text of empty objects becomes some
/// 290 MB. checkJsonLimits enforces these limits in one pass over the text, holding nothing
/// but a stack of at most `maxDepth` brackets, so a refused text never reaches the parser.
struct JsonLimits
{
    std::size_t maxBytes;  ///< length of the text
    std::size_t maxDepth;  ///< nesting of objects and arrays; `{}` at the top is depth 1
    std::size_t maxValues; ///< values of every kind (objects, arrays, strings, numbers,
                           ///< true, false, null), the outermost one included; a member of
                           ///< an object is one value (its name is not counted)
};

/// What checkJsonLimits found.
struct JsonCheck
{
    enum class Outcome
    {
        Ok,
        TooLarge,      ///< longer than maxBytes
        TooDeep,       ///< nested deeper than maxDepth
        TooManyValues, ///< more than maxValues values
        Malformed,     ///< not one JSON value (RFC 8259) with optional white space around
    };
    Outcome outcome = Outcome::Ok;
    std::string message; ///< for people: which limit, or where the text stopped being JSON

    bool ok() const { return outcome == Outcome::Ok; }
    /// A limit was exceeded (as opposed to the text not being JSON at all).
    bool limitExceeded() const { return !ok() && outcome != Outcome::Malformed; }
};

/// Walks `text` once and checks it against `limits` and the JSON grammar (strings and their
/// escapes, numbers, literals, brackets; not the UTF-8 inside strings, which the parser
/// checks). Stops at the first problem, so a hostile text costs at most one pass and no
/// allocation beyond `maxDepth` bytes.
JsonCheck checkJsonLimits(std::string_view text, const JsonLimits& limits);

} // namespace parley::portal
