// Symbols (src/pmml/core.hpp): the table string inputs are looked up in once per record. Every
// interned text must be found at its own index and every other text must not be, through the
// perfect table and through the probed one it falls back to.

#include "core.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <string>
#include <vector>

using scorestream::pmml::detail::Symbols;

namespace {

/// Texts that differ from `t` in one byte (each position), one byte longer or shorter, and empty.
std::vector<std::string> near_misses(const std::string& t) {
    std::vector<std::string> out = {"", t + "x", "x" + t};
    if (!t.empty()) out.push_back(t.substr(1));
    if (!t.empty()) out.push_back(t.substr(0, t.size() - 1));
    for (std::size_t i = 0; i < t.size(); ++i) {
        std::string u = t;
        u[i] = static_cast<char>(u[i] ^ 1);
        out.push_back(u);
    }
    return out;
}

void check_all(const Symbols& s, const std::vector<std::string>& texts) {
    const std::set<std::string> members(texts.begin(), texts.end());
    for (std::size_t i = 0; i < texts.size(); ++i) {
        INFO(texts[i]);
        CHECK(s.index_of(texts[i]) == static_cast<int>(i));
        for (const auto& u : near_misses(texts[i])) {
            if (members.count(u)) continue;
            INFO(u);
            CHECK(s.index_of(u) == -1);
        }
    }
}

}  // namespace

TEST_CASE("symbols: every length from 0 to 40, found through the perfect table", "[pmml][symbols]") {
    std::vector<std::string> texts;
    for (std::size_t n = 0; n <= 40; ++n) {
        std::string t;
        for (std::size_t k = 0; k < n; ++k) t += static_cast<char>('a' + (k * 7 + n) % 26);
        texts.push_back(t);
    }
    Symbols s;
    for (const auto& t : texts) s.intern(t);
    s.finish();
    CHECK(s.perfect);
    CHECK(s.table.capacity() == 0);  // released: only the perfect table is read
    check_all(s, texts);
    Symbols probed;  // the probed table answers the same
    for (const auto& t : texts) probed.intern(t);
    probed.build_probed();
    REQUIRE_FALSE(probed.perfect);
    check_all(probed, texts);
}

TEST_CASE("symbols: a field's category values, and none at all", "[pmml][symbols]") {
    std::vector<std::string> texts = {"Consultant", "Private", "PSFederal", "PSLocal",
                                      "PSState",    "SelfEmp", "Volunteer", "Married-spouse-absent",
                                      "Yr1t4",      "Yr5t6",   "Yr7t8",     "Yr9",
                                      "1",          "0",       "10",        "setosa"};
    Symbols s;
    for (const auto& t : texts) s.intern(t);
    s.finish();
    CHECK(s.perfect);
    check_all(s, texts);
    Symbols none;
    none.finish();
    CHECK(none.index_of("") == -1);
    CHECK(none.index_of("a") == -1);
    CHECK(none.index_of("a long text beyond sixteen bytes") == -1);
}

TEST_CASE("symbols: texts alike in length, first and last eight bytes use the probed table",
          "[pmml][symbols]") {
    // Same length and ends, different middles: no seed separates them, so the lookup probes.
    std::vector<std::string> texts = {"abcdefgh-1-ijklmnop", "abcdefgh-2-ijklmnop", "short"};
    Symbols s;
    for (const auto& t : texts) s.intern(t);
    s.finish();
    CHECK_FALSE(s.perfect);
    check_all(s, texts);
}

TEST_CASE("symbols: many random texts", "[pmml][symbols]") {
    std::mt19937_64 rng(7);
    for (std::size_t count : {1u, 2u, 3u, 9u, 40u, 300u, 3000u}) {
        std::vector<std::string> texts;
        std::set<std::string> seen;
        while (texts.size() < count) {
            std::string t;
            auto n = rng() % 24;
            for (std::size_t k = 0; k < n; ++k) t += static_cast<char>('A' + rng() % 6);
            if (seen.insert(t).second) texts.push_back(t);
        }
        Symbols s;
        for (const auto& t : texts) s.intern(t);
        s.finish();
        INFO(count << " texts, perfect " << s.perfect);
        check_all(s, texts);
    }
}
