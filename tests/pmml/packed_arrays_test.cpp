// PackedArrays (src/pmml/packed_arrays.hpp): several read-only arrays of a compiled object in one
// allocation. Each array must read back as it was given, whatever its neighbours' sizes and
// alignments, and an object whose arrays are all empty must hold nothing.

#include "packed_arrays.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <cstring>
#include <vector>

using scorestream::pmml::detail::PackedArrays;

namespace {

struct Pair {
    std::int32_t a;
    std::uint16_t b;
};

using Arrays = PackedArrays<std::int8_t, double, Pair, std::int32_t, std::uint64_t>;

template <std::size_t I, class T>
void check_array(const Arrays& p, const std::vector<T>& want) {
    const auto got = p.get<I>();
    REQUIRE(got.size() == want.size());
    CHECK(got.empty() == want.empty());
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(std::memcmp(&got[i], &want[i], sizeof(T)) == 0);
    if (!got.empty()) CHECK(reinterpret_cast<std::uintptr_t>(got.data()) % alignof(T) == 0);
}

}  // namespace

TEST_CASE("packed arrays: each array reads back as given, between neighbours of any size", "[pmml][packed]") {
    for (std::size_t n = 0; n <= 9; ++n) {
        INFO(n << " elements in the odd-sized arrays");
        std::vector<std::int8_t> bytes;
        std::vector<double> doubles;
        std::vector<Pair> pairs;
        std::vector<std::int32_t> ints;
        std::vector<std::uint64_t> words;
        for (std::size_t i = 0; i < n; ++i) {
            bytes.push_back(static_cast<std::int8_t>(-1 - static_cast<int>(i)));
            pairs.push_back({static_cast<std::int32_t>(i * 1000), static_cast<std::uint16_t>(i)});
            ints.push_back(static_cast<std::int32_t>(i) - 4);
        }
        for (std::size_t i = 0; i < n + 2; ++i) {
            doubles.push_back(0.5 + static_cast<double>(i));
            words.push_back(~std::uint64_t{0} - i);
        }
        Arrays p;
        p.assign(bytes, doubles, pairs, ints, words);
        check_array<0>(p, bytes);
        check_array<1>(p, doubles);
        check_array<2>(p, pairs);
        check_array<3>(p, ints);
        check_array<4>(p, words);
        // The header (a byte per array type, then an offset per array held and one more) and every
        // array from an 8-byte boundary, nothing more.
        auto up = [](std::size_t b) { return (b + 7) / 8 * 8; };
        const std::size_t held = n > 0 ? 5 : 2;
        CHECK(p.memory_bytes() == up(8 + 4 * (held + 1)) + up(n) + up(8 * (n + 2)) + up(sizeof(Pair) * n) +
                                      up(4 * n) + 8 * (n + 2));
    }
}

TEST_CASE("packed arrays: all empty holds nothing; assigning again replaces", "[pmml][packed]") {
    Arrays p;
    CHECK(p.memory_bytes() == 0);
    CHECK(p.get<1>().empty());
    p.assign({}, {}, {}, {}, {});
    CHECK(p.memory_bytes() == 0);
    CHECK(p.get<0>().data() == nullptr);
    p.assign({}, {}, {}, {7, 8, 9}, {});
    check_array<3>(p, std::vector<std::int32_t>{7, 8, 9});
    CHECK(p.get<4>().empty());
    p.assign({1}, {}, {}, {}, {});
    check_array<0>(p, std::vector<std::int8_t>{1});
    CHECK(p.get<3>().empty());
    p.assign({}, {}, {}, {}, {});
    CHECK(p.memory_bytes() == 0);
}

TEST_CASE("packed arrays: the header names only the arrays held", "[pmml][packed]") {
    // Eleven array types, as a tree has, of which one or two are held: a byte per type, then the
    // offsets of those held.
    using Many = PackedArrays<double, double, std::int32_t, std::int8_t, std::uint64_t, std::int32_t,
                              std::int32_t, double, double, double, double>;
    Many one;
    one.assign({}, {1.5, 2.5, 3.5}, {}, {}, {}, {}, {}, {}, {}, {}, {});
    CHECK(one.memory_bytes() == 24 + 3 * 8);  // 12 bytes of positions, 2 offsets, padded to 24
    CHECK(one.get<0>().empty());
    CHECK(one.get<2>().empty());
    const auto got = one.get<1>();
    REQUIRE(got.size() == 3);
    CHECK(got[0] == 1.5);
    CHECK(got[2] == 3.5);
    Many two;
    two.assign({}, {}, {}, {-1, 2}, {}, {}, {}, {}, {}, {}, {4.0});
    CHECK(two.memory_bytes() == 24 + 8 + 8);
    const auto bytes = two.get<3>();
    REQUIRE(bytes.size() == 2);
    CHECK(bytes[0] == -1);
    CHECK(bytes[1] == 2);
    REQUIRE(two.get<10>().size() == 1);
    CHECK(two.get<10>()[0] == 4.0);
    CHECK(two.get<7>().empty());
}
