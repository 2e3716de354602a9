#pragma once
// Reading short decimal numbers ("5.1", "-0.25", "81838", "1e-3") without std::from_chars, exactly.
// Private to src/pmml and its tools.
//
// Why it is exact: when the digits, read as an integer w, satisfy w <= 2^53 and the decimal
// exponent e satisfies |e| <= 22, both w and 10^|e| are doubles exactly, so the value w * 10^e
// (or w / 10^-e) is one IEEE operation on exact operands and therefore correctly rounded: the
// same double std::from_chars returns. Anything else (more digits, larger exponents, inf, nan,
// stray characters) is left to the caller's general parser.

#include <cstdint>
#include <string_view>

namespace scorestream::pmml::detail {

/// The powers of ten a double holds exactly (10^0 to 10^22), for the exact fast reads below.
inline constexpr double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                         1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/// The whole of [b, e) as a decimal number with the exact fast method above: returns true and sets
/// `out`, or returns false when the text is not of that simple form (the caller then falls back to
/// std::from_chars, which decides; false never means "not a number").
inline bool parse_simple_decimal(const char* b, const char* e, double& out) noexcept {
    const char* p = b;
    bool negative = p != e && *p == '-';
    p += negative;
    std::uint64_t w = 0;
    const char* int_start = p;
    for (; p != e && static_cast<unsigned>(*p - '0') < 10u; ++p) w = w * 10 + static_cast<unsigned>(*p - '0');
    auto n_int = p - int_start;
    decltype(n_int) scale = 0;  // digits after the point
    if (p != e && *p == '.') {
        const char* frac_start = ++p;
        for (; p != e && static_cast<unsigned>(*p - '0') < 10u; ++p)
            w = w * 10 + static_cast<unsigned>(*p - '0');
        scale = p - frac_start;
    }
    // Up to 19 digits cannot overflow 64 bits (more, even leading zeros, are left to the caller).
    if (n_int + scale == 0 || n_int + scale > 19) return false;
    int exp10 = -static_cast<int>(scale);
    if (p != e && (*p == 'e' || *p == 'E')) {
        ++p;
        bool eneg = false;
        if (p != e && (*p == '-' || *p == '+')) {
            eneg = *p == '-';
            ++p;
        }
        if (p == e) return false;
        int x = 0;
        for (; p != e && static_cast<unsigned>(*p - '0') < 10u; ++p) {
            if (x > 1000) return false;
            x = x * 10 + (*p - '0');
        }
        exp10 += eneg ? -x : x;
    }
    if (p != e) return false;
    if (w > (std::uint64_t{1} << 53)) return false;
    double v = static_cast<double>(w);
    if (w != 0) {
        if (exp10 < -22 || exp10 > 22) return false;
        v = exp10 < 0 ? v / exact_pow10[-exp10] : v * exact_pow10[exp10];
    }
    out = negative ? -v : v;
    return true;
}

/// The whole of `t` as a decimal number, for numeric inputs given as text: "[-]digits[.digits]"
/// with 1 to 19 digits is read in one pass here (the value w / 10^scale that parse_simple_decimal
/// computes for it, so the same double); any other text goes to parse_simple_decimal. What this
/// accepts, parse_double accepts with the same result; what it refuses (blanks, a '+' sign, long
/// or unusual spellings) the caller hands to parse_double.
inline bool read_decimal(std::string_view t, double& out) noexcept {
    const char* b = t.data();
    const char* e = b + t.size();
    const bool negative = b != e && *b == '-';
    const char* p = b + negative;
    const char* point = nullptr;
    std::uint64_t w = 0;  // wraps beyond 19 digits, but is then not used
    for (const char* q = p; q != e; ++q) {
        unsigned d = static_cast<unsigned>(static_cast<unsigned char>(*q)) - unsigned{'0'};
        if (d < 10u) {
            w = w * 10 + d;
        } else if (*q == '.' && point == nullptr) {
            point = q;
        } else {
            return parse_simple_decimal(b, e, out);  // an exponent, or not a number
        }
    }
    const auto digits = (e - p) - (point != nullptr);
    if (digits == 0 || digits > 19 || w > (std::uint64_t{1} << 53)) return parse_simple_decimal(b, e, out);
    const auto scale = point ? e - point - 1 : 0;
    double v = static_cast<double>(w);
    if (scale != 0) v /= exact_pow10[scale];
    out = negative ? -v : v;
    return true;
}

}  // namespace scorestream::pmml::detail
