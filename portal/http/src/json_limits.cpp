#include <parley/portal/http/json_limits.h>

#include <vector>

namespace parley::portal {
namespace {

using Outcome = JsonCheck::Outcome;

bool isWhiteSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isHexDigit(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/// One pass over the text: a cursor, the open brackets and the count of values so far.
class Scanner
{
public:
    Scanner(std::string_view text, const JsonLimits& limits) : text_(text), limits_(limits)
    {
        // The stack never grows past maxDepth: a deeper bracket is refused before the push.
        // (Reserving maxDepth itself could be huge if a caller passed a silly limit.)
        open_.reserve(limits.maxDepth < 64 ? limits.maxDepth : 64);
    }

    JsonCheck run()
    {
        if (text_.size() > limits_.maxBytes) {
            fail(Outcome::TooLarge,
                 "the JSON text is larger than " + std::to_string(limits_.maxBytes) + " bytes");
            return result_;
        }
        skipWhiteSpace();
        if (!value())
            return result_;
        // Closing brackets pop what the values opened; a value is complete when none is open.
        while (!open_.empty()) {
            skipWhiteSpace();
            if (!continueContainer())
                return result_;
        }
        skipWhiteSpace();
        if (pos_ != text_.size())
            malformed("text after the end of the JSON value");
        return result_;
    }

private:
    /// Reads one value at the cursor; an object or array is only opened here (its contents
    /// are read by continueContainer), so nesting costs no recursion.
    bool value()
    {
        if (pos_ == text_.size())
            return malformed("a value is missing");
        if (++values_ > limits_.maxValues)
            return fail(Outcome::TooManyValues,
                        "the JSON holds more than " + std::to_string(limits_.maxValues) + " values");
        const char c = text_[pos_];
        if (c == '{' || c == '[') {
            if (open_.size() + 1 > limits_.maxDepth)
                return fail(Outcome::TooDeep, "the JSON nests deeper than " +
                                                  std::to_string(limits_.maxDepth) + " levels");
            open_.push_back(c);
            ++pos_;
            skipWhiteSpace();
            const char closing = c == '{' ? '}' : ']';
            if (pos_ < text_.size() && text_[pos_] == closing) {
                open_.pop_back();
                ++pos_;
                return true;
            }
            afterOpen_ = true;
            return true;
        }
        if (c == '"')
            return string();
        if (c == '-' || isDigit(c))
            return number();
        if (literal("true") || literal("false") || literal("null"))
            return true;
        return malformed("unexpected character");
    }

    /// Inside the innermost open container: reads the next member or element, or the
    /// closing bracket after one.
    bool continueContainer()
    {
        const bool inObject = open_.back() == '{';
        if (afterOpen_) {
            afterOpen_ = false; // the first member or element follows, no comma
        }
        else {
            if (pos_ == text_.size())
                return malformed("unterminated object or array");
            const char c = text_[pos_];
            if (c == (inObject ? '}' : ']')) {
                open_.pop_back();
                ++pos_;
                return true;
            }
            if (c != ',')
                return malformed(inObject ? "expected ',' or '}'" : "expected ',' or ']'");
            ++pos_;
            skipWhiteSpace();
        }
        if (inObject) {
            if (pos_ == text_.size() || text_[pos_] != '"')
                return malformed("expected a member name");
            if (!string())
                return false;
            skipWhiteSpace();
            if (pos_ == text_.size() || text_[pos_] != ':')
                return malformed("expected ':'");
            ++pos_;
            skipWhiteSpace();
        }
        return value();
    }

    bool string()
    {
        ++pos_; // the opening quote
        while (pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (c == '"')
                return true;
            if (static_cast<unsigned char>(c) < 0x20)
                return malformed("a control character inside a string");
            if (c != '\\')
                continue;
            if (pos_ == text_.size())
                break;
            const char escaped = text_[pos_++];
            if (escaped == 'u') {
                for (int i = 0; i < 4; ++i, ++pos_)
                    if (pos_ == text_.size() || !isHexDigit(text_[pos_]))
                        return malformed("\\u needs four hexadecimal digits");
            }
            else if (std::string_view("\"\\/bfnrt").find(escaped) == std::string_view::npos) {
                return malformed("an unknown escape in a string");
            }
        }
        return malformed("unterminated string");
    }

    bool number()
    {
        if (text_[pos_] == '-')
            ++pos_;
        if (pos_ == text_.size() || !isDigit(text_[pos_]))
            return malformed("a number needs digits");
        if (text_[pos_] == '0')
            ++pos_; // no leading zeros: "01" is not a JSON number
        else
            skipDigits();
        if (pos_ < text_.size() && text_[pos_] == '.') {
            ++pos_;
            if (!skipDigits())
                return malformed("a number needs digits after '.'");
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            ++pos_;
            if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-'))
                ++pos_;
            if (!skipDigits())
                return malformed("a number needs digits in its exponent");
        }
        return true;
    }

    bool skipDigits()
    {
        const auto start = pos_;
        while (pos_ < text_.size() && isDigit(text_[pos_]))
            ++pos_;
        return pos_ > start;
    }

    bool literal(std::string_view word)
    {
        if (text_.substr(pos_, word.size()) != word)
            return false;
        pos_ += word.size();
        return true;
    }

    void skipWhiteSpace()
    {
        while (pos_ < text_.size() && isWhiteSpace(text_[pos_]))
            ++pos_;
    }

    bool malformed(const std::string& what)
    {
        return fail(Outcome::Malformed, "not valid JSON at byte " + std::to_string(pos_) + ": " + what);
    }

    bool fail(Outcome outcome, std::string message)
    {
        result_ = JsonCheck{outcome, std::move(message)};
        return false;
    }

    std::string_view text_;
    const JsonLimits& limits_;
    std::size_t pos_ = 0;
    std::size_t values_ = 0;
    std::vector<char> open_; ///< '{' or '[' for each container not yet closed
    bool afterOpen_ = false; ///< the innermost container was just opened and is not empty
    JsonCheck result_;
};

} // namespace

JsonCheck checkJsonLimits(std::string_view text, const JsonLimits& limits)
{
    return Scanner(text, limits).run();
}

} // namespace parley::portal
