// The short-decimal reader (src/pmml/decimal.hpp): whenever it accepts a text it must give the very
// double std::from_chars gives, and it must leave to the general parser what it cannot do exactly.

#include "decimal.hpp"

#include <catch2/catch.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using scorestream::pmml::detail::parse_simple_decimal;
using scorestream::pmml::detail::read_decimal;

namespace {

bool simple(const std::string& s, double& out) {
    return parse_simple_decimal(s.data(), s.data() + s.size(), out);
}

std::uint64_t bits(double x) {
    std::uint64_t b;
    std::memcpy(&b, &x, sizeof b);
    return b;
}

/// from_chars' answer for the whole text; false when it does not read all of it.
bool reference(const std::string& s, double& out) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

TEST_CASE("decimal: common spellings read exactly", "[pmml][decimal]") {
    for (const char* t : {"5.1",
                          "0.2",
                          "-0.25",
                          "81838",
                          "0",
                          "-0",
                          "1e22",
                          "4.9e-3",
                          "1E5",
                          "1.e2",
                          ".5",
                          "-.5",
                          "0.000001",
                          "123456789012345",
                          "9007199254740992",
                          "3.14159265358979",
                          "1e+10",
                          "72",
                          "0.1",
                          "0.3",
                          "17.2",
                          "100.00"}) {
        double a = -1, b = -2;
        INFO(t);
        REQUIRE(simple(t, a));
        REQUIRE(reference(t, b));
        CHECK(bits(a) == bits(b));
    }
}

TEST_CASE("decimal: texts beyond the exact method are left to the general parser", "[pmml][decimal]") {
    double x = 42;
    for (const char* t : {"",
                          "-",
                          ".",
                          "-.",
                          "1e",
                          "1e+",
                          "1e-",
                          "e5",
                          "abc",
                          "5.1x",
                          " 5",
                          "5 ",
                          "inf",
                          "nan",
                          "Infinity",
                          "1e23",
                          "1e-23",
                          "9007199254740993",
                          "12345678901234567890123",
                          "1.7976931348623157e308",
                          "4.9e-324",
                          "0.00000000000000000001",
                          "0x10",
                          "1,5",
                          "--1",
                          "+1"}) {
        INFO(t);
        CHECK_FALSE(simple(t, x));
    }
    CHECK(x == 42);  // untouched
}

TEST_CASE("decimal: random decimals agree with std::from_chars bit for bit", "[pmml][decimal]") {
    std::mt19937_64 rng(20261122);
    char buf[64];
    int accepted = 0;
    for (int i = 0; i < 200000; ++i) {
        std::uint64_t w = rng() >> (rng() % 64);
        int point = static_cast<int>(rng() % 22);
        int exp = static_cast<int>(rng() % 61) - 30;
        std::string digits = std::to_string(w);
        std::string s = (rng() & 1) ? "-" : "";
        if (point > 0 && point < static_cast<int>(digits.size()))
            s += digits.substr(0, digits.size() - static_cast<std::size_t>(point)) + "." +
                 digits.substr(digits.size() - static_cast<std::size_t>(point));
        else
            s += digits;
        if (rng() % 3 == 0) {
            std::snprintf(buf, sizeof buf, "e%d", exp);
            s += buf;
        }
        double a = 0, b = 0;
        bool ref = reference(s, b);
        if (simple(s, a)) {
            ++accepted;
            INFO(s);
            REQUIRE(ref);
            REQUIRE(bits(a) == bits(b));
        }
    }
    CHECK(accepted > 50000);  // the fast method covers most of these, not only the trivial ones
}

TEST_CASE("decimal: read_decimal accepts what parse_simple_decimal does, with the same bits",
          "[pmml][decimal]") {
    // read_decimal reads "[-]digits[.digits]" itself and hands every other text to
    // parse_simple_decimal, so the two must agree on every text: accepted or not, and the value.
    std::mt19937_64 rng(20261123);
    const char alphabet[] = "0123456789.-+eE x";
    std::vector<std::string> texts = {"",
                                      "-",
                                      ".",
                                      "-.",
                                      "0",
                                      "-0",
                                      "0.",
                                      ".0",
                                      "5.",
                                      ".5",
                                      "-.5",
                                      "5.1",
                                      "1.2.3",
                                      "--1",
                                      "1-",
                                      "+1",
                                      "1e5",
                                      "1.5e-3",
                                      "9007199254740992",
                                      "9007199254740993",
                                      "1234567890123456789",
                                      "12345678901234567890",
                                      "0.0000000000000000001",
                                      "00000000000000000001",
                                      "0000000000000000000001",
                                      "81838",
                                      "-0.25",
                                      "1 ",
                                      " 1",
                                      "x"};
    for (int i = 0; i < 200000; ++i) {
        std::string t;
        auto n = rng() % 24;
        for (std::size_t k = 0; k < n; ++k) {
            // mostly digits and one point, sometimes anything from the alphabet
            auto r = rng() % 20;
            t += r < 15 ? static_cast<char>('0' + rng() % 10) : alphabet[rng() % (sizeof alphabet - 1)];
        }
        texts.push_back(t);
    }
    // Short texts (the word-at-a-time reader takes 1 to 8 characters after a sign) over digits and
    // the bytes next to them: '/' and ':' around the digits, NUL, high bytes that carry when 6 is
    // added, points, signs, exponents.
    const std::string bytes = std::string("0123456789./:-+eE ") + '\0' + "\xfa\xff\x80\x2f\x3a";
    for (int i = 0; i < 300000; ++i) {
        std::string t = (rng() % 4 == 0) ? "-" : "";
        auto n = 1 + rng() % 9;
        for (std::size_t k = 0; k < n; ++k)
            t += rng() % 3 != 0 ? static_cast<char>('0' + rng() % 10) : bytes[rng() % bytes.size()];
        texts.push_back(t);
    }
    int fast = 0;
    for (const auto& t : texts) {
        double a = 42, b = 43;
        bool ra = read_decimal(t, a);
        bool rb = simple(t, b);
        INFO(t);
        REQUIRE(ra == rb);
        if (ra) {
            REQUIRE(bits(a) == bits(b));
            double c = 0;
            REQUIRE(reference(t, c));
            REQUIRE(bits(a) == bits(c));
            ++fast;
        } else {
            REQUIRE(a == 42);  // untouched
        }
    }
    CHECK(fast > 50000);
}
