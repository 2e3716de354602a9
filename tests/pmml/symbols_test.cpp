// Symbols (src/pmml/core.hpp): the table string inputs are looked up in once per record. Every
// interned text must be found at its own index and every other text must not be, through the
// perfect table and through the probed one it falls back to.

#include "core.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

using scorestream::pmml::detail::Symbols;

namespace {

/// Texts that differ from `t` in one byte (each position, by its lowest bit and by its case bit),
/// one byte longer or shorter (at either end, a NUL too), and empty.
std::vector<std::string> near_misses(const std::string& t) {
    std::vector<std::string> out = {"", t + "x", "x" + t, t + '\0', '\0' + t};
    if (!t.empty()) out.push_back(t.substr(1));
    if (!t.empty()) out.push_back(t.substr(0, t.size() - 1));
    for (std::size_t i = 0; i < t.size(); ++i)
        for (int bit : {1, 0x20}) {
            std::string u = t;
            u[i] = static_cast<char>(u[i] ^ bit);
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
    CHECK_FALSE(s.probed);  // released: only the perfect table is read
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

TEST_CASE("symbols: the four words of a key cover every byte of texts of 4 to 16 bytes", "[pmml][symbols]") {
    // Every byte of every length from 4 to 16 lies in one of the words at 0, o, n-4-o and n-4.
    for (std::size_t n = 4; n <= 16; ++n) {
        const std::size_t o = Symbols::quad_offset(n);
        std::vector<bool> seen(n, false);
        for (std::size_t at : {std::size_t{0}, o, n - 4 - o, n - 4}) {
            REQUIRE(at + 4 <= n);
            for (std::size_t k = at; k < at + 4; ++k) seen[k] = true;
        }
        INFO(n << " bytes");
        CHECK(std::count(seen.begin(), seen.end(), true) == static_cast<long>(n));
    }
    // Texts of one length equal in their first and last four bytes and different in one byte of
    // the middle, for every length and every middle position: all told apart, through the perfect
    // table when a seed separates them and the probed one otherwise.
    for (std::size_t n = 9; n <= 40; ++n) {
        std::vector<std::string> texts;
        const std::string base(n, 'm');
        texts.push_back(base);
        for (std::size_t i = 4; i + 4 < n; ++i) {
            std::string t = base;
            t[i] = 'M';
            texts.push_back(t);
        }
        Symbols s;
        for (const auto& t : texts) s.intern(t);
        s.finish();
        INFO(n << " bytes, perfect " << s.perfect);
        check_all(s, texts);
    }
}

TEST_CASE("symbols: texts alike in length and in every byte the key reads use the probed table",
          "[pmml][symbols]") {
    // 19 bytes: the key reads bytes 0-3, 6-9, 9-12 and 15-18; texts differing only in byte 4 have
    // one key, so no seed separates them and the lookup probes.
    std::vector<std::string> texts = {"abcd1fgh-x-ijklmnop", "abcd2fgh-x-ijklmnop", "short"};
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

namespace {

using scorestream::Value;
using scorestream::pmml::detail::Program;

/// Texts of 0 to 40 bytes, texts with NUL bytes inside and at either end, and a field's category
/// values.
std::vector<std::string> mixed_texts() {
    std::vector<std::string> texts;
    for (std::size_t n = 0; n <= 40; ++n) {
        std::string t;
        for (std::size_t k = 0; k < n; ++k) t += static_cast<char>('a' + (k * 5 + n) % 26);
        texts.push_back(t);
    }
    for (std::string t : {"ab", "abcdef", "abcdefghijkl", "abcdefghijklmnopqrst"}) {
        texts.push_back(t + '\0');
        texts.push_back('\0' + t);
        t[t.size() / 2] = '\0';
        texts.push_back(t);
    }
    texts.push_back(std::string(1, '\0'));
    texts.push_back(std::string(9, '\0'));
    for (const char* t : {"Private", "College", "Unmarried", "Service", "Female", "Consultant"})
        texts.push_back(t);
    return texts;
}

/// What the string loop must give for `text` on an input of slot `slot`: the whole lookup's index,
/// whether it passes, and the input's outside bit.
struct Expected {
    std::int32_t index;
    bool ok;
    std::uint64_t outside;
};
Expected expected(const Symbols& s, const std::string& text, std::uint64_t limit, std::uint32_t slot) {
    int k = s.index_of(text);
    return {k, static_cast<std::uint32_t>(k) < limit,
            static_cast<std::uint64_t>(Symbols::diverts(s.divert, k)) << (slot & 63)};
}

}  // namespace

TEST_CASE("symbols: the string loop's entries (set_quick) give what the whole lookup gives",
          "[pmml][symbols]") {
    const std::vector<std::string> texts = mixed_texts();
    std::vector<std::string> probes = texts;  // every text, its near misses, NULs added, all unique
    for (const auto& t : texts) {
        for (auto u : near_misses(t)) probes.push_back(u);
        probes.push_back(t + '\0');
        probes.push_back(std::string(1, '\0') + t);
    }
    std::sort(probes.begin(), probes.end());
    probes.erase(std::unique(probes.begin(), probes.end()), probes.end());
    for (std::uint64_t limit :
         {std::uint64_t{0}, std::uint64_t{7}, std::uint64_t{30}, std::uint64_t{1} << 32}) {
        for (std::uint32_t slot : {0u, 5u, 63u, 70u}) {
            INFO("limit " << limit << ", slot " << slot);
            // Three inputs' own symbols (the outside bits in their entries are per slot).
            const std::uint32_t slot2 = slot + 1, slot3 = slot + 2;
            auto build = [&](Symbols& s, std::uint32_t at) {
                for (const auto& t : texts) REQUIRE(s.intern(t) == static_cast<int>(&t - texts.data()));
                s.divert |= (std::uint64_t{1} << 3) | (std::uint64_t{1} << 17) | (std::uint64_t{1} << 40);
                s.finish();
                REQUIRE(s.perfect);
                s.set_quick(limit, at);
                s.set_quick(limit, at);  // a second plan marks the same
            };
            Symbols s, s2, s3;
            build(s, slot);
            build(s2, slot2);
            build(s3, slot3);
            check_all(s, texts);  // index_of is unchanged
            // Each text's entry: the loop takes it as it is exactly when the text passes and has at
            // most 16 bytes.
            for (std::size_t i = 0; i < texts.size(); ++i) {
                const std::string& t = texts[i];
                const Symbols::Home& h =
                    s.homes[(Symbols::key(Symbols::ends(t.data(), t.size()), t.size()) * s.seed) >> s.shift];
                REQUIRE(h.index == static_cast<int>(i));
                const bool quick = t.size() <= 16 && i < limit;
                CHECK((h.size == t.size()) == quick);
                CHECK((h.size & ~Symbols::slow) == t.size());
                if (quick)
                    CHECK(h.tail ==
                          static_cast<std::uint64_t>(Symbols::diverts(s.divert, static_cast<int>(i)))
                              << (slot & 63));
            }
            // The loop itself, on one input and on three inputs sharing the symbols (a miss in
            // the first sends the rest to the whole lookup).
            auto input = [&](const Symbols& sym, std::uint32_t at, std::uint32_t source) {
                return Program::StringInput{
                    at,        Program::offset_of(source), sym.homes.data(), sym.seed, sym.shift, &sym, limit,
                    sym.divert};
            };
            std::vector<Program::StringInput> one = {input(s, slot, 0)},
                                              three = {input(s, slot, 0), input(s2, slot2, 1),
                                                       input(s3, slot3, 2)};
            for (std::size_t i = 0; i < probes.size(); ++i) {
                const std::string& t = probes[i];
                const std::string& u = probes[(i * 7 + 3) % probes.size()];
                const std::string& v = probes[(i * 13 + 1) % probes.size()];
                INFO("text '" << t << "' (" << t.size() << " bytes)");
                std::vector<std::int32_t> cats(80, -9);
                std::uint64_t outside = 12345;
                const Value row[3] = {Value::string(t), Value::string(u), Value::string(v)};
                const Expected e = expected(s, t, limit, slot);
                CHECK(scorestream::pmml::detail::strings(one, row, cats.data(), outside) == e.ok);
                CHECK(cats[slot] == e.index);
                CHECK(outside == e.outside);
                const Expected e2 = expected(s, u, limit, slot2), e3 = expected(s, v, limit, slot3);
                cats.assign(80, -9);
                outside = 12345;
                CHECK(scorestream::pmml::detail::strings(three, row, cats.data(), outside) ==
                      (e.ok && e2.ok && e3.ok));
                CHECK(cats[slot] == e.index);
                CHECK(cats[slot2] == e2.index);
                CHECK(cats[slot3] == e3.index);
                CHECK(outside == (e.outside | e2.outside | e3.outside));
            }
            // A value that is not a string stops the loop (the full load decides).
            std::vector<std::int32_t> cats(80, -9);
            std::uint64_t outside = 0;
            const Value row[3] = {Value::number(1), Value::missing(), Value::string("x")};
            CHECK_FALSE(scorestream::pmml::detail::strings(one, row, cats.data(), outside));
        }
    }
}

#if defined(__unix__)
#include <sys/mman.h>
#include <unistd.h>

TEST_CASE("symbols: lookups read only the text's own bytes, at a page's start and end", "[pmml][symbols]") {
    // Three pages, the outer two inaccessible: a text placed against either edge of the middle one
    // faults on any load outside it (AddressSanitizer checks the same in CI, for heap texts).
    const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    void* mem = mmap(nullptr, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(mem != MAP_FAILED);
    char* const middle = static_cast<char*>(mem) + page;
    REQUIRE(mprotect(mem, page, PROT_NONE) == 0);
    REQUIRE(mprotect(middle + page, page, PROT_NONE) == 0);

    std::vector<std::string> texts;  // every length from 0 to 40
    for (std::size_t n = 0; n <= 40; ++n) {
        std::string t;
        for (std::size_t k = 0; k < n; ++k) t += static_cast<char>('A' + (k * 3 + n) % 26);
        texts.push_back(t);
    }
    Symbols s;
    for (const auto& t : texts) s.intern(t);
    s.finish();
    REQUIRE(s.perfect);
    s.set_quick(std::uint64_t{1} << 32, 0);
    Symbols probed;
    for (const auto& t : texts) probed.intern(t);
    probed.build_probed();
    const std::vector<Program::StringInput> one = {
        Program::StringInput{0, 0, s.homes.data(), s.seed, s.shift, &s, std::uint64_t{1} << 32, s.divert}};
    for (std::size_t i = 0; i < texts.size(); ++i) {
        const std::string& t = texts[i];
        const std::size_t n = t.size();
        for (char* at : {middle, middle + page - n}) {  // against the start, against the end
            std::memcpy(at, t.data(), n);
            const std::string_view text(at, n);
            INFO(n << " bytes at " << (at == middle ? "the page's start" : "the page's end"));
            CHECK(s.index_of(text) == static_cast<int>(i));
            CHECK(probed.index_of(text) == static_cast<int>(i));
            std::int32_t cats[1] = {-9};
            std::uint64_t outside = 1;
            const Value row[1] = {Value::string(text)};
            CHECK(scorestream::pmml::detail::strings(one, row, cats, outside));
            CHECK(cats[0] == static_cast<std::int32_t>(i));
            CHECK(outside == 0);
            if (n > 0) {  // one byte changed: found by neither table
                at[n / 2] = static_cast<char>(at[n / 2] ^ 1);
                CHECK(s.index_of(text) == -1);
                CHECK(probed.index_of(text) == -1);
            }
        }
    }
    munmap(mem, 3 * page);
}
#endif

TEST_CASE("symbols: a text interned after the tables are built is found, and so are the others",
          "[pmml][symbols]") {
    // The tables point into the texts' buffer, which an intern() may move: they are built again.
    std::vector<std::string> texts = {"Private", "a text of more than sixteen bytes", "x"};
    Symbols s;
    for (const auto& t : texts) s.intern(t);
    s.finish();
    check_all(s, texts);
    for (int i = 0; i < 40; ++i) {
        texts.push_back("late value number " + std::to_string(i));
        CHECK(s.intern(texts.back()) == static_cast<int>(texts.size()) - 1);
    }
    CHECK(s.intern("Private") == 0);  // present already: the same index, nothing added
    CHECK(s.size() == texts.size());
    check_all(s, texts);
    for (std::size_t i = 0; i < texts.size(); ++i) CHECK(s.text(i) == texts[i]);
}

TEST_CASE("symbols over a field's list: its values are read from it, the others added after them",
          "[pmml][symbols]") {
    using scorestream::pmml::detail::TextList;
    const std::vector<std::string> listed = {"Private", "a listed value of more than sixteen bytes", "", "x"};
    const TextList list(listed);
    Symbols s(list);
    CHECK(s.size() == listed.size());
    for (std::size_t i = 0; i < listed.size(); ++i) CHECK(s.intern(listed[i]) == static_cast<int>(i));
    CHECK(s.size() == listed.size());  // nothing copied, nothing added
    std::vector<std::string> texts = listed;
    texts.push_back("compared elsewhere");
    CHECK(s.intern(texts.back()) == 4);
    s.finish();
    CHECK(s.perfect);
    check_all(s, texts);
    // The tables point into the field's list for its values (a long one's bytes, too).
    const char* first = list[0].data();
    const char* past = list[list.size() - 1].data() + list[list.size() - 1].size();
    CHECK((s.text(1).data() >= first && s.text(1).data() < past));
    CHECK(s.texts.size() == 1);     // only the text the field does not list is held here
    for (int i = 0; i < 20; ++i) {  // after finish(): the tables are built again
        texts.push_back("late value " + std::to_string(i));
        CHECK(s.intern(texts.back()) == static_cast<int>(texts.size()) - 1);
    }
    check_all(s, texts);
    s.build_probed();  // and the probed table finds the field's values as well
    s.perfect = false;
    check_all(s, texts);
    for (std::size_t i = 0; i < texts.size(); ++i) CHECK(s.text(i) == texts[i]);
}

TEST_CASE("text lists: each text reads back as written, empty ones and long ones too", "[pmml][symbols]") {
    using scorestream::pmml::detail::TextList;
    const TextList none;
    CHECK(none.empty());
    CHECK(none.size() == 0);
    CHECK(none.heap_bytes() == 0);
    CHECK(none.to_vector().empty());
    CHECK(TextList(std::vector<std::string>{}).empty());
    const std::vector<std::string> texts = {"",
                                            "a",
                                            "",
                                            std::string(300, 'z'),
                                            "Married-spouse-absent",
                                            std::string("nul\0inside", 10),
                                            "\xc3\xa9t\xc3\xa9"};
    const TextList list(texts);
    REQUIRE(list.size() == texts.size());
    CHECK_FALSE(list.empty());
    for (std::size_t i = 0; i < texts.size(); ++i) CHECK(list[i] == texts[i]);
    CHECK(list.to_vector() == texts);
    std::size_t n = 0;
    for (std::string_view t : list) CHECK(t == texts[n++]);
    CHECK(n == texts.size());
    std::size_t chars = 0;
    for (const auto& t : texts) chars += t.size();
    // The count, an end per text and the bytes, in 4-byte words.
    CHECK(list.heap_bytes() == 4 * (1 + texts.size() + (chars + 3) / 4));
    const TextList blanks(std::vector<std::string>(3));  // texts, all empty: still three of them
    CHECK(blanks.size() == 3);
    CHECK(blanks[2].empty());
}

TEST_CASE("symbols: the perfect table is the smallest one a seed is likely found for", "[pmml][symbols]") {
    // n values in m entries: one entry a value where a seed is likely (p * 2^15 >= 3), else two.
    const std::vector<std::string> values = {
        "Consultant", "Private", "PSFederal", "PSLocal", "PSState",  "SelfEmp", "Volunteer", "Unemployed",
        "Retired",    "Student", "Military",  "Farming", "Clerical", "Sales",   "Service",   "Transport"};
    const std::pair<std::size_t, std::size_t> cases[] = {{1, 2}, {2, 2},   {3, 4},   {5, 8},  {7, 8},
                                                         {8, 8}, {13, 16}, {14, 16}, {16, 32}};
    for (const auto& [n, entries] : cases) {
        INFO(n << " values");
        const std::vector<std::string> texts(values.begin(), values.begin() + static_cast<long>(n));
        Symbols s;
        for (const auto& t : texts) s.intern(t);
        s.finish();
        REQUIRE(s.perfect);
        CHECK(s.homes.size() == entries);
        check_all(s, texts);
    }
}
