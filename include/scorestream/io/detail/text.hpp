#pragma once
// Internal helpers shared by the text connectors: number recognition and number/value formatting.

#include <scorestream/model/value.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

namespace scorestream::io::detail {

inline bool is_blank(char c) noexcept { return c == ' ' || c == '\t'; }

/// `s` without leading and trailing spaces and tabs.
inline std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
    return s;
}

/// True when `text` (spaces and tabs around it allowed, a leading '+' allowed) is entirely a finite
/// decimal number; the value goes to `x` and the number's own text (trimmed) to `number_text`.
/// std::from_chars is exact (correctly rounded) and locale-independent. "nan", "inf" and numbers
/// out of double's range are not numbers here: they stay text.
inline bool parse_number(std::string_view text, double& x, std::string_view& number_text) noexcept {
    std::string_view t = trim(text);
    if (t.empty()) return false;
    std::string_view digits = t;
    if (digits.front() == '+') {
        digits.remove_prefix(1);
        if (digits.empty() || digits.front() == '-' || digits.front() == '+') return false;
    }
    const char* first = digits.data();
    const char* last = first + digits.size();
    auto [ptr, ec] = std::from_chars(first, last, x, std::chars_format::general);
    if (ec != std::errc() || ptr != last || !std::isfinite(x)) return false;
    number_text = t;
    return true;
}

/// Appends the shortest text that reads back as exactly x.
inline void append_number(std::string& out, double x) {
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, x);
    out.append(buf, r.ptr);
}

/// Appends a number's text: the text it was read from when it has one, else the shortest exact form.
inline void append_number_text(std::string& out, const Value& v) {
    if (!v.text().empty())
        out.append(v.text());
    else
        append_number(out, v.as_number());
}

}  // namespace scorestream::io::detail
