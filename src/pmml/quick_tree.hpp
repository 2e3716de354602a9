// QuickTree: the leaf of a small flat tree found by testing every split at once, not by walking.
#pragma once

#include "model_base.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

namespace scorestream::pmml::detail {

/// A second form of a small FlatTree (at most max_splits splits) for the direct plan of a
/// single tree. The leaves are numbered left to right (first child first) as bits of one 64-bit
/// set of candidates. Every split is tested, none waiting on another, and a split that sends the
/// record to its second child removes the leaves under its first child from the candidates; the
/// leaf the record reaches is then the lowest candidate left. (A leaf left of it shares an
/// ancestor with it that sent the record to the second child, so it was removed; the leaf itself
/// is under no first child whose split sent the record second.)
///
/// A walk stops after as many levels as the record's path has, a branch the processor mispredicts
/// whenever consecutive records stop at different depths; this form has no branch that depends on
/// the record, and its tests overlap where a walk's levels wait on each other. It does more
/// tests than a walk (all splits rather than one path), so it is used only up to max_splits.
/// Same tests as FlatTree::step, so the same leaf for every record walk() applies to.
struct QuickTree {
    static constexpr std::size_t max_splits = 16;

    struct Split {
        double value;          ///< numeric: the threshold; category: the set, as FlatNode holds it
        std::uint64_t others;  ///< every leaf but those under the first child, as bits
        std::uint64_t flip;    ///< 1 when the test's outcome is reversed (FlatNode::flip)
        std::int32_t slot;     ///< index into xs (numeric) or cats (category)
    };
    std::vector<Split> numeric;           ///< splits comparing a number
    std::vector<Split> category;          ///< splits looking a category up in a set
    std::vector<std::int32_t> leaf_node;  ///< per leaf bit: the leaf's index in the flat form
    bool narrow = false;                  ///< FlatTree::narrow

    /// The quick form of `t`, or an empty one (leaf_node empty) when more than max_splits splits
    /// are reachable from its root (so at most max_splits + 1 leaves, each a bit). Nodes the walk
    /// never reaches (the subtrees of third children testing isMissing, which only the general
    /// walk visits) are not counted.
    static QuickTree of(const FlatTree& t) {
        QuickTree q;
        const ArrayView<FlatNode> nodes = t.nodes();
        if (nodes.empty() || reachable_splits(nodes, 0, max_splits + 1) > max_splits) return q;
        q.add(nodes, 0);
        q.narrow = t.narrow;
        return q;
    }

    bool empty() const noexcept { return leaf_node.empty(); }

    /// The index in the flat form of the leaf this record reaches (only when FlatTree::applies()).
    template <bool narrow_sets>
    int leaf_of(const double* xs, const std::int32_t* cats) const noexcept {
        std::uint64_t left = ~std::uint64_t{0};
        for (const Split& s : numeric) {
            auto first = static_cast<std::uint64_t>(xs[s.slot] <= s.value) ^ s.flip;
            left &= s.others | (0 - first);  // second child: remove the first child's leaves
        }
        for (const Split& s : category) {
            const std::uint64_t first = FlatTree::set_holds<narrow_sets>(s.value, cats[s.slot]) ^ s.flip;
            left &= s.others | (0 - first);
        }
        return leaf_node[static_cast<std::size_t>(__builtin_ctzll(left))];
    }
    int leaf(const double* xs, const std::int32_t* cats) const noexcept {
        return narrow ? leaf_of<true>(xs, cats) : leaf_of<false>(xs, cats);
    }

    std::size_t memory_bytes() const noexcept {
        return (numeric.capacity() + category.capacity()) * sizeof(Split) +
               leaf_node.capacity() * sizeof(std::int32_t);
    }

private:
    /// The splits reachable from node i, counted up to `limit` (so the recursion is at most
    /// limit deep whatever the tree).
    static std::size_t reachable_splits(const ArrayView<FlatNode>& nodes, std::int32_t i, std::size_t limit) {
        const FlatNode& n = nodes[static_cast<std::size_t>(i)];
        if ((n.slot_flags & FlatNode::leaf) || limit == 0) return 0;
        std::size_t first = 1 + reachable_splits(nodes, i + n.next, limit - 1);
        if (first >= limit) return first;
        return first + reachable_splits(nodes, i + n.next + 1, limit - first);
    }
    /// Adds the subtree of node i (depth first, first child first; the depth is at most
    /// max_splits) and returns the bits of its leaves.
    std::uint64_t add(const ArrayView<FlatNode>& nodes, std::int32_t i) {
        const FlatNode& n = nodes[static_cast<std::size_t>(i)];
        if (n.slot_flags & FlatNode::leaf) {
            std::uint64_t bit = std::uint64_t{1} << leaf_node.size();
            leaf_node.push_back(i);
            return bit;
        }
        std::uint64_t first = add(nodes, i + n.next);
        std::uint64_t second = add(nodes, i + n.next + 1);
        const bool cat = (n.slot_flags & FlatNode::category) != 0;
        const auto flip = static_cast<std::uint64_t>((n.slot_flags & FlatNode::flip) != 0);
        (cat ? category : numeric).push_back(Split{n.value, ~first, flip, n.slot_flags >> 4});
        return first | second;
    }
};

}  // namespace scorestream::pmml::detail
