// QuickTree (src/pmml/quick_tree.hpp): a small flat tree's leaf found by testing every split at
// once must be the leaf FlatTree::walk reaches, for every tree shape and every record the walk
// applies to: numeric splits with and without flip, category sets with the unlisted bit, NaN
// numbers, unlisted (-1) and large category indexes.

#include "quick_tree.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

using scorestream::pmml::detail::FlatNode;
using scorestream::pmml::detail::FlatTree;
using scorestream::pmml::detail::QuickTree;

namespace {

constexpr int inputs = 4;

/// A random tree of `splits` splits in flat form (children stored next to each other, as the
/// compiler lays them out), each split numeric or a category set as `mix` allows.
FlatTree random_tree(std::mt19937_64& rng, int splits, bool categories, bool narrow) {
    FlatTree t;
    std::vector<FlatNode> nodes{FlatNode::make_leaf(0)};
    std::vector<std::int32_t> leaves{0};
    for (int s = 0; s < splits; ++s) {
        // Split a random leaf: it becomes a split whose two children are new leaves.
        std::size_t pick = rng() % leaves.size();
        std::int32_t at = leaves[pick];
        leaves.erase(leaves.begin() + static_cast<std::ptrdiff_t>(pick));
        auto first = static_cast<std::int32_t>(nodes.size());
        nodes.push_back(FlatNode::make_leaf(static_cast<std::int32_t>(rng() % 5) - 1));
        nodes.push_back(FlatNode::make_leaf(static_cast<std::int32_t>(rng() % 5) - 1));
        leaves.push_back(first);
        leaves.push_back(first + 1);
        const std::int32_t slot = static_cast<std::int32_t>(rng() % inputs);
        FlatNode n{};
        n.next = first - at;  // the offset to the first child
        if (categories && rng() % 2) {
            std::uint64_t set = rng();
            // The compiler never flips a category split, but FlatTree::step honours the flag on
            // both kinds: so must the quick form.
            n.slot_flags = (slot << 4) | FlatNode::category | (rng() % 2 ? FlatNode::flip : 0);
            std::memcpy(&n.value, &set, sizeof set);
        } else {
            n.value = static_cast<double>(static_cast<int>(rng() % 21) - 10) / 2;
            n.slot_flags = (slot << 4) | (rng() % 2 ? FlatNode::flip : 0);  // flip or not
        }
        nodes[static_cast<std::size_t>(at)] = n;
    }
    t.set_nodes(nodes);
    t.numeric = !categories;
    t.narrow = narrow;
    return t;
}

}  // namespace

TEST_CASE("QuickTree: the leaf of every split tested at once is the walk's leaf", "[pmml]") {
    std::mt19937_64 rng(7);
    std::size_t checked = 0;
    for (int round = 0; round < 400; ++round) {
        const bool categories = round % 3 != 0;
        const bool narrow = categories && round % 2 == 0;
        const int splits = 1 + static_cast<int>(QuickTree::max_splits - 1) * (round % 17) / 16;
        FlatTree tree = random_tree(rng, splits, categories, narrow);
        QuickTree quick = QuickTree::of(tree);
        REQUIRE(!quick.empty());
        REQUIRE(quick.numeric.size() + quick.category.size() == static_cast<std::size_t>(splits));
        for (int record = 0; record < 200; ++record) {
            double xs[inputs];
            std::int32_t cats[inputs];
            for (int i = 0; i < inputs; ++i) {
                // Thresholds are halves from -5 to 5: hit them exactly, fall between, go beyond.
                int r = static_cast<int>(rng() % 26);
                xs[i] = r == 25 ? std::nan("") : static_cast<double>(r - 12) / 2 + (rng() % 2 ? 0.25 : 0.0);
                // narrow: indexes of at most FlatNode::set_bits strings
                int limit = narrow ? static_cast<int>(FlatNode::set_bits) : 200;
                cats[i] = static_cast<std::int32_t>(rng() % static_cast<unsigned>(limit + 1)) - 1;
            }
            INFO("round " << round << ", record " << record);
            REQUIRE(quick.leaf(xs, cats) == tree.walk(xs, cats));
            ++checked;
        }
    }
    CHECK(checked == 80000);
}

TEST_CASE("QuickTree: trees past its limits have no quick form", "[pmml]") {
    std::mt19937_64 rng(11);
    FlatTree many_splits = random_tree(rng, static_cast<int>(QuickTree::max_splits) + 1, true, false);
    CHECK(QuickTree::of(many_splits).empty());
    FlatTree at_limit = random_tree(rng, static_cast<int>(QuickTree::max_splits), true, false);
    CHECK(!QuickTree::of(at_limit).empty());
    CHECK(QuickTree::of(FlatTree{}).empty());
    // Nodes no walk reaches (as the subtrees of isMissing third children are) do not count.
    FlatTree unreachable = at_limit;  // a copy, with nodes of its own
    std::vector<FlatNode> more(at_limit.nodes().begin(), at_limit.nodes().end());
    for (int k = 0; k < 8; ++k) {
        more.push_back(FlatNode{1.0, 0, 1});
        more.push_back(FlatNode::make_leaf(0));
        more.push_back(FlatNode::make_leaf(1));
    }
    REQUIRE(unreachable.nodes().data() != at_limit.nodes().data());
    unreachable.set_nodes(more);
    QuickTree reached = QuickTree::of(unreachable);
    REQUIRE(!reached.empty());
    CHECK(reached.numeric.size() + reached.category.size() == QuickTree::max_splits);
    const double some_xs[4] = {0.5, -1.0, 3.0, 2.5};
    const std::int32_t some_cats[4] = {-1, 0, 5, 62};
    CHECK(reached.leaf(some_xs, some_cats) == unreachable.walk(some_xs, some_cats));
    // A single leaf: no split, the root is the leaf.
    FlatTree leaf;
    leaf.set_nodes(std::vector<FlatNode>{FlatNode::make_leaf(2)});
    leaf.numeric = true;
    QuickTree q = QuickTree::of(leaf);
    REQUIRE(!q.empty());
    double xs[1] = {0.0};
    std::int32_t cats[1] = {0};
    CHECK(q.leaf(xs, cats) == 0);
}
