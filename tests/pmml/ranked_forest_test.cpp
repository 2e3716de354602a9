// RankedForest (src/pmml/ranked_forest.hpp): the leaves a forest reaches, found from the ranks of its
// inputs among its thresholds, must sum to what the fixed-level walk of the same arrays sums, for
// every forest shape and every record: thresholds shared by several splits and trees, values equal
// to a threshold, -0 and +0, infinities and NaN.

#include "ranked_forest.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

using scorestream::pmml::detail::RankedForest;

namespace {

constexpr std::uint64_t nan_bits = 0x7FF8000000000000ull;

/// A forest in the fixed walk's layout: per node a threshold, an input slot and its first child
/// (the second one after it); a leaf is a NaN (its low bits a payload) in slot 0 whose first child
/// is one below its own index, so that it steps to itself.
struct Forest {
    std::vector<double> value;
    std::vector<std::uint32_t> slot, next, roots;

    void leaf(std::uint32_t at, std::uint64_t payload) {
        const std::uint64_t bits = nan_bits | payload;
        std::memcpy(&value[at], &bits, sizeof bits);
        slot[at] = 0;
        next[at] = at - 1;  // wraps around for index 0, and wraps back when stepped
    }
    std::uint32_t add() {
        value.push_back(0);
        slot.push_back(0);
        next.push_back(0);
        return static_cast<std::uint32_t>(value.size() - 1);
    }
    /// A random tree of `splits` splits: a random leaf is split each time.
    void tree(std::mt19937_64& rng, int splits, int inputs, const std::vector<double>& thresholds) {
        const std::uint32_t root = add();
        roots.push_back(root);
        std::vector<std::uint32_t> leaves{root};
        leaf(root, rng() % 5);
        for (int s = 0; s < splits; ++s) {
            const std::size_t pick = rng() % leaves.size();
            const std::uint32_t at = leaves[pick];
            leaves.erase(leaves.begin() + static_cast<std::ptrdiff_t>(pick));
            const std::uint32_t first = add();
            add();
            leaf(first, rng() % 5);
            leaf(first + 1, rng() % 5);
            leaves.push_back(first);
            leaves.push_back(first + 1);
            value[at] = thresholds[rng() % thresholds.size()];
            slot[at] = static_cast<std::uint32_t>(rng() % static_cast<std::uint64_t>(inputs));
            next[at] = first;
        }
    }
    /// The fixed walk: every tree stepped until it stands still, the leaves' bits summed.
    std::uint64_t walk(const double* xs) const {
        std::uint64_t sum = 0;
        for (std::uint32_t i : roots) {
            for (int level = 0; level < 200; ++level)
                i = next[i] + static_cast<std::uint32_t>(!(xs[slot[i]] <= value[i]));
            std::uint64_t bits;
            std::memcpy(&bits, &value[i], sizeof bits);
            sum += bits;
        }
        return sum;
    }
};

/// The thresholds of a test: few distinct values, so that splits share them, including -0 and +0.
std::vector<double> thresholds(std::mt19937_64& rng, int distinct) {
    std::vector<double> t{-0.0, 0.0};
    for (int k = 0; k < distinct; ++k)
        t.push_back(static_cast<double>(static_cast<int>(rng() % 41) - 20) / 4);
    return t;
}

/// A record's value: one of the thresholds, one between or beyond them, an infinity or a NaN.
double input_value(std::mt19937_64& rng, const std::vector<double>& t) {
    switch (rng() % 8) {
        case 0:
            return HUGE_VAL;
        case 1:
            return -HUGE_VAL;
        case 2:
            return std::numeric_limits<double>::quiet_NaN();
        case 3:
        case 4:
            return t[rng() % t.size()];
        default:
            return static_cast<double>(static_cast<int>(rng() % 101) - 50) / 8 + 0.01;
    }
}

}  // namespace

TEST_CASE("RankedForest: the leaves found by rank are the fixed walk's leaves", "[pmml]") {
    std::mt19937_64 rng(20261122);
    int built = 0;
    for (int round = 0; round < 400; ++round) {
        const int inputs = 1 + static_cast<int>(rng() % 6);
        const int trees = 1 + static_cast<int>(rng() % 12);
        const std::vector<double> t = thresholds(rng, 1 + static_cast<int>(rng() % 30));
        Forest f;
        for (int k = 0; k < trees; ++k) f.tree(rng, static_cast<int>(rng() % 40), inputs, t);
        const RankedForest ranked = RankedForest::of(f.value, f.slot, f.next, f.roots);
        if (ranked.empty()) continue;  // more leaves than four words hold
        ++built;
        INFO("round " << round << ": " << trees << " trees over " << inputs << " inputs");
        std::vector<double> xs(static_cast<std::size_t>(inputs));
        for (int record = 0; record < 200; ++record) {
            for (double& x : xs) x = input_value(rng, t);
            REQUIRE(ranked.sum(xs.data()) == f.walk(xs.data()));
        }
    }
    CHECK(built > 300);
}

TEST_CASE("RankedForest: forests it does not take", "[pmml]") {
    std::mt19937_64 rng(7);
    const std::vector<double> t = thresholds(rng, 10);
    SECTION("a tree of 65 leaves") {
        Forest f;
        f.tree(rng, 64, 2, t);
        CHECK(RankedForest::of(f.value, f.slot, f.next, f.roots).empty());
        Forest g;
        g.tree(rng, 63, 2, t);  // 64 leaves: one word
        const RankedForest r = RankedForest::of(g.value, g.slot, g.next, g.roots);
        REQUIRE_FALSE(r.empty());
        CHECK(r.words() == 1);
    }
    SECTION("more leaves than four words") {
        Forest f;
        for (int k = 0; k < 5; ++k) f.tree(rng, 40, 2, t);  // 41 leaves each: one tree per word
        CHECK(RankedForest::of(f.value, f.slot, f.next, f.roots).empty());
        Forest g;
        for (int k = 0; k < 4; ++k) g.tree(rng, 40, 2, t);
        CHECK(RankedForest::of(g.value, g.slot, g.next, g.roots).words() == 4);
    }
    SECTION("a split with a NaN threshold, a node index out of range, rows past the limit") {
        Forest f;
        f.tree(rng, 5, 2, t);
        REQUIRE_FALSE(RankedForest::of(f.value, f.slot, f.next, f.roots).empty());
        Forest nan = f;
        nan.value[0] = std::numeric_limits<double>::quiet_NaN();  // the root is a split
        CHECK(RankedForest::of(nan.value, nan.slot, nan.next, nan.roots).empty());
        Forest out = f;
        out.next[0] = 1000;
        CHECK(RankedForest::of(out.value, out.slot, out.next, out.roots).empty());
        CHECK(RankedForest::of(f.value, f.slot, f.next, f.roots, 8).empty());
        CHECK(RankedForest::of(f.value, f.slot, f.next, {}).empty());
    }
}
