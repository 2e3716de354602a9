// MiningModel: Segmentation with every multipleModelMethod except selectAll, segment predicates,
// nested segmentations, output fields of earlier segments feeding later ones (modelChain), and
// missingPredictionTreatment.

#include "compiler.hpp"
#include "packed_arrays.hpp"
#include "predicate.hpp"
#include "ranked_forest.hpp"

#include <algorithm>
#include <cstring>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

namespace scorestream::pmml::detail {
namespace {

enum class Method : std::uint8_t {
    majority_vote,
    weighted_majority_vote,
    average,
    weighted_average,
    median,
    weighted_median,
    max,
    sum,
    weighted_sum,
    select_first,
    model_chain
};

class MiningModelImpl final : public CompiledModel {
public:
    // The 4-byte members first (the first takes the four bytes after CompiledModel's members) and
    // the 1-byte ones together near the end: no padding between members.
    int work = -1;        ///< 2 * segments doubles: values and weights
    int class_work = -1;  ///< classification: a double per category, at least four (class_probabilities)
    /// The trees of the flat walk (0: the segments take the general loop). Kept apart from `flat`,
    /// which a ranked forest releases at seal: it reads none of it.
    std::uint32_t flat_trees = 0;
    struct Segment {
        const CompiledModel* model = nullptr;
        double weight = 1.0;
        int pred = -1;
        std::int32_t cat_at = -1;  ///< where cat_map(*this) starts in cat_maps; -1: none
        std::uint32_t cat_n = 0;   ///< its length: the segment model's categories
        bool always = false;       ///< the predicate is <True/>
        bool quick = false;        ///< nobody reads this segment's ModelResult: try its fast path
    };
    /// The segments' predicates; null when every one is <True/> (a forest), as none is read then.
    std::unique_ptr<Predicates> preds;
    std::vector<Segment> segs;
    /// The segments' category maps (segment category -> this model's category), each distinct map
    /// once: the trees of a forest share their category table, so they share one map.
    std::vector<int> cat_maps;
    ArrayView<int> cat_map(const Segment& s) const noexcept {
        if (s.cat_at < 0) return {};
        return {cat_maps.data() + s.cat_at, s.cat_n};
    }
    /// Stores `map` as a segment's map (once) and returns where it starts (-1 for an empty map).
    std::int32_t add_cat_map(const std::vector<int>& map) {
        if (map.empty()) return -1;
        for (std::size_t at = 0; at + map.size() <= cat_maps.size(); ++at)
            if (std::equal(map.begin(), map.end(), cat_maps.begin() + static_cast<std::ptrdiff_t>(at)))
                return static_cast<std::int32_t>(at);
        cat_maps.insert(cat_maps.end(), map.begin(), map.end());
        return static_cast<std::int32_t>(cat_maps.size() - map.size());
    }
    double missing_threshold = 1.0;
    /// All segments are always-true flat trees feeding a vote or a sum/average: walked in one loop.
    struct Flat {
        const FlatTree* tree;
        const int* cat_map;
        double weight;
        std::int32_t root;  ///< index of the tree's root in `packed` (when packed is used)
    };
    std::vector<Flat> flat;
    /// An entry of the copies below: an internal node sends the record to `next` when
    /// x <= value and to next + 1 otherwise (the children are stored in the order the test picks
    /// them, so no flip). A leaf has slot -2 - v, v being its vote as this model's category
    /// (classification) or its payload (regression), -1 for none (so count_votes finds its
    /// increment by the slot alone).
    struct Split {
        double value;
        std::int32_t slot;
        std::int32_t next;
    };
    struct Group {
        std::int32_t first;   ///< the group's first tree in `flat`
        std::uint8_t lanes;   ///< trees in the group, 1 to 5
        std::uint8_t levels;  ///< the depth of its deepest tree: the steps every lane takes
    };
    /// The copies of the trees some walks take, held apart: null when the forest walks none of
    /// them (a ranked forest, the trees' own flat forms, or the general loop).
    struct Walks {
        /// Shallow trees without category splits (walked one after the other): all trees copied
        /// into one array of Split, a form that needs fewer instructions per level.
        std::vector<Split> packed;
        /// Deep trees with category splits (lockstep walks) walk their own flat forms, lane by
        /// lane from node to node by the nodes' offsets, with no copy. When no input is tested
        /// both by a number and by a set, no set's node is flipped and every input's slot is below
        /// 64 (masked()), a level is masked_step(), which reads three entries made per record at
        /// the node's slot_flags >> 2 (slot << 2 | flip << 1 | leaf): the input's value, a mask (1
        /// << the category index for a set's input, bit 63 for unlisted strings and indexes from
        /// set_bits up; 0 for a number) and what the masked bits of the node equal when the record
        /// goes second (0; 1, which never happens, for a flipped number's node and for a leaf). The
        /// record goes second when that holds, XOR value <= the node's value (never for a set's
        /// NaN): no choice by kind and no flip to extract. Otherwise a level is FlatTree::step().
        /// The inputs of masked(): those compared with numbers first (mask_numbers of them), then
        /// those tested by sets; empty otherwise.
        std::vector<std::uint32_t> mask_slots;
        std::uint32_t mask_numbers = 0;
        /// Deep trees without category splits (lockstep walks): all trees copied into one array of
        /// Split, whose leaves step to themselves (a NaN value holding the vote or payload, slot 0,
        /// next one below the leaf's own index); index 0 is the idle lanes' leaf.
        std::vector<Split> numeric_levels;
        /// Shallow numeric trees with a counted vote: all trees copied into three arrays, a node's
        /// threshold in `fixed`, its input slot in `fixed_slots` and its first child in
        /// `fixed_next` (so that a step reads each with the index as it is), walked in groups of
        /// one to five lanes (`groups`), each group a fixed number of levels with no test for the
        /// leaves: a leaf steps to itself (its value is a NaN, slot 0, next one below its own
        /// index), so every walk of a group takes the same steps whatever the record. A leaf's NaN
        /// carries count_votes' increment (vote_inc) in its low bits, so the count is the sum of
        /// the leaves' bits less `vote_bias`, one NaN's high bits per tree. The trees are sorted by
        /// depth (an unweighted vote adds exact integers in any order), so a group's trees are
        /// alike.
        std::vector<double> fixed;
        std::vector<std::uint32_t> fixed_slots, fixed_next;
        std::vector<Group> groups;
        bool empty() const noexcept {
            return packed.empty() && mask_slots.empty() && numeric_levels.empty() && fixed.empty() &&
                   groups.empty();
        }
    };
    std::unique_ptr<Walks> walks;
    static const Walks no_walks;
    const Walks& wk() const noexcept { return walks ? *walks : no_walks; }
    Walks& wk() noexcept { return *walks; }  ///< (seal only: the copies are being built)
    bool masked() const noexcept { return !wk().mask_slots.empty(); }
    /// Entries of the per-record arrays of masked(): four per slot.
    static constexpr std::size_t max_masks = 256;
    /// The same forest by the ranks of its inputs among its thresholds (RankedForest), built from the
    /// fixed copy at seal and kept in its place when its estimated instructions per record are fewer
    /// than the fixed walk's (then `fixed` and `groups` are released). Behind a pointer, so that the
    /// models without it carry eight bytes for it.
    std::unique_ptr<const RankedForest> ranked;
    static constexpr std::uint64_t nan_bits = 0x7FF8000000000000ull;
    std::uint64_t vote_bias = 0;                   ///< flat.size() * nan_bits (modulo 2^64)
    std::uint64_t flat_used = 0, flat_strict = 0;  ///< union of the trees' FlatTree::used / strict
    /// Walk the trees four or five at a time (deep trees: the walks' load chains overlap) rather
    /// than one after the other (shallow trees, where the interleaving costs more than it hides).
    bool lockstep = false;
    std::uint8_t lanes = 4;  ///< trees per lockstep group: 4 or 5
    /// No tree has a category split: each level is one comparison (no set lookup to compute).
    bool numeric = false;
    /// No category split reads an input of more than FlatNode::set_bits strings (FlatTree::narrow).
    bool narrow = false;
    /// class_probabilities counts the votes of `packed`, the lockstep walks or the fixed forms in one
    /// integer (count_votes): a vote without weights (majorityVote, or every weight 1), at most four
    /// categories, fewer than 4096 trees.
    bool counted = false;
    Method method = Method::majority_vote;
    enum class MissingPrediction : std::uint8_t {
        continue_,
        return_missing,
        skip_segment
    } mpt = MissingPrediction::continue_;
    /// A counted vote's shares: share[k] = k / flat.size(), the total weight (rounded to float for
    /// x-mathContext="float"), k from 0 to flat.size(), computed once as the general path computes
    /// each record's.
    std::vector<double> share;
    /// count_votes' increments by leaf: vote_inc[-1 - slot] is 1 << 48 for a leaf without a vote
    /// (slot -1) and 1 << (12 * v) for a vote for category v (slot -2 - v).
    static constexpr std::uint64_t vote_inc[5] = {std::uint64_t{1} << 48, 1, std::uint64_t{1} << 12,
                                                  std::uint64_t{1} << 24, std::uint64_t{1} << 36};

    std::string walk_summary() const override {
        if (flat_trees == 0) return {};
        std::string n = std::to_string(flat_trees) + " flat trees, ";
        std::string group = std::to_string(lanes) + " in lockstep";
        if (!wk().packed.empty()) return n + "one after another over a packed copy";
        if (ranked)
            return n + "by the ranks of " + std::to_string(ranked->inputs()) +
                   " inputs among their thresholds (" + std::to_string(ranked->words()) +
                   (ranked->words() == 1 ? " word" : " words") + " of leaves) over a counted copy";
        if (!wk().fixed.empty())
            return n + "in " + std::to_string(wk().groups.size()) +
                   (wk().groups.size() == 1 ? " group" : " groups") +
                   " of a fixed number of levels over a counted copy";
        if (!wk().numeric_levels.empty()) return n + group + " over a numeric copy";
        if (lockstep) return n + group + " over their own flat forms" + (masked() ? "" : " (by kind)");
        return n + "one after another over their own flat forms";
    }

    void seal(const Program& /*prog*/) override {
        walks = std::make_unique<Walks>();
        flat.clear();
        flat_used = flat_strict = 0;
        bool ok = method == Method::majority_vote || method == Method::weighted_majority_vote ||
                  method == Method::sum || method == Method::weighted_sum || method == Method::average ||
                  method == Method::weighted_average;
        ok = ok && mpt == MissingPrediction::continue_;
        for (const auto& s : segs) {
            const FlatTree* tree = ok && s.always && s.quick ? s.model->flat_tree() : nullptr;
            if (!tree) {
                ok = false;
                break;
            }
            flat.push_back({tree, cat_map(s).data(), s.weight, -1});
            flat_used |= tree->used;
            flat_strict |= tree->strict;
        }
        if (!ok) flat.clear();
        std::size_t total = 0;
        numeric = narrow = !flat.empty();
        for (const auto& f : flat) {
            total += f.tree->nodes().size();
            numeric = numeric && f.tree->numeric;
            narrow = narrow && f.tree->narrow;
        }
        lockstep = !flat.empty() && total / flat.size() > 64;
        // Shallow numeric forests with a counted vote walk a fixed number of levels per group
        // (`fixed`, trees no deeper than max_fixed_levels).
        const bool counts = categories.size() <= 4 && flat.size() < 4096 && votes_unweighted();
        const bool fixed_walk =
            numeric && !lockstep && counts && std::all_of(flat.begin(), flat.end(), [](const Flat& f) {
                return leaf_depth(*f.tree).second <= max_fixed_levels;
            });
        // An unweighted vote adds exact integers, so the trees may be walked in any order: deep
        // forests group trees of like mean leaf depth, so the lanes of a group reach their leaves
        // in about the same round; the fixed walk groups trees of like deepest leaf, so a group's
        // shallower trees idle on their leaves for fewer levels.
        if ((lockstep || fixed_walk) && votes_unweighted()) {
            std::vector<std::pair<double, Flat>> by_depth;
            for (const Flat& f : flat) {
                auto [mean, deepest] = leaf_depth(*f.tree);
                by_depth.emplace_back(fixed_walk ? static_cast<double>(deepest) : mean, f);
            }
            std::stable_sort(by_depth.begin(), by_depth.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; });
            for (std::size_t i = 0; i < flat.size(); ++i) flat[i] = by_depth[i].second;
        }
        wk().fixed.clear();
        wk().fixed_slots.clear();
        wk().fixed_next.clear();
        wk().groups.clear();
        ranked.reset();
        if (fixed_walk) {
            for (auto& f : flat) pack_fixed(f);
            plan_groups();
            choose_ranked();
        }
        wk().fixed.shrink_to_fit();
        wk().fixed_slots.shrink_to_fit();
        wk().fixed_next.shrink_to_fit();
        wk().groups.shrink_to_fit();
        vote_bias = static_cast<std::uint64_t>(flat.size()) * nan_bits;
        // Five lanes where they leave fewer idle lanes in the last group than four (15 trees: three
        // groups of five rather than four of four with one idle lane).
        auto idle = [&](std::size_t k) { return (flat.size() + k - 1) / k * k - flat.size(); };
        lanes = !flat.empty() && idle(5) < idle(4) ? std::uint8_t{5} : std::uint8_t{4};
        wk().packed.clear();
        if (numeric && !lockstep && !fixed_walk)
            for (auto& f : flat) pack(f);
        wk().packed.shrink_to_fit();
        // Deep forests walk in lockstep: over a copy (`numeric_levels`) when no split tests a
        // category, else over the trees' own forms.
        choose_masked();
        wk().numeric_levels.clear();
        if (lockstep && numeric) {
            wk().numeric_levels.push_back(leaf_split(0, -1));
            for (auto& f : flat) pack_numeric_levels(f);
        }
        wk().numeric_levels.shrink_to_fit();
        counted = (!wk().packed.empty() || !wk().fixed.empty() || ranked || lockstep) && counts;
        share.clear();
        if (counted) {
            const auto trees = static_cast<double>(flat.size());
            for (std::size_t k = 0; k <= flat.size(); ++k) share.push_back(static_cast<double>(k) / trees);
            if (float_math) round_to_float(share.data(), share.size());
        }
        share.shrink_to_fit();
        flat_trees = static_cast<std::uint32_t>(flat.size());
        if (ranked)
            flat = std::vector<Flat>();
        else
            flat.shrink_to_fit();
        if (walks->empty()) walks.reset();
    }

    /// The deepest leaf `fixed` takes (deeper shallow trees keep the packed walk).
    static constexpr std::size_t max_fixed_levels = 24;

    /// Instructions per record of one group of the fixed walk, as compiled: five per lane and level,
    /// two per level for the loop, two per lane for starting it and adding its vote, and about 24.
    static std::size_t group_cost(std::size_t lanes, std::size_t levels) noexcept {
        return 5 * lanes * levels + 2 * levels + 2 * lanes + 24;
    }

    /// Splits the trees of `fixed` (sorted by depth) into groups of one to five consecutive trees
    /// with the fewest instructions in all (group_cost()).
    void plan_groups() {
        const std::size_t n = flat.size();
        std::vector<std::size_t> depth(n), cost(n + 1, 0), take(n + 1, 0);
        for (std::size_t i = 0; i < n; ++i) depth[i] = leaf_depth(*flat[i].tree).second;
        for (std::size_t j = 1; j <= n; ++j) {
            cost[j] = static_cast<std::size_t>(-1);
            for (std::size_t g = 1; g <= std::min<std::size_t>(5, j); ++g) {
                // the trees j - g .. j - 1, the last one the deepest
                const std::size_t d = depth[j - 1];
                const std::size_t c = cost[j - g] + group_cost(g, d);
                if (c < cost[j]) {
                    cost[j] = c;
                    take[j] = g;
                }
            }
        }
        for (std::size_t j = n; j > 0; j -= take[j])
            wk().groups.push_back({static_cast<std::int32_t>(j - take[j]), static_cast<std::uint8_t>(take[j]),
                                   static_cast<std::uint8_t>(depth[j - 1])});
        std::reverse(wk().groups.begin(), wk().groups.end());
    }

    /// Builds `ranked` from the fixed copy and keeps it when it costs fewer instructions per record
    /// than the fixed walk's groups (group_cost()); then releases the fixed copy.
    void choose_ranked() {
        std::size_t walk = 0;
        for (const Group& g : wk().groups) walk += group_cost(g.lanes, g.levels);
        std::vector<std::uint32_t> roots;
        for (const Flat& f : flat) roots.push_back(static_cast<std::uint32_t>(f.root));
        RankedForest r = RankedForest::of(wk().fixed, wk().fixed_slots, wk().fixed_next, roots);
        if (r.empty() || r.cost() >= walk) return;
        ranked = std::make_unique<const RankedForest>(std::move(r));
        wk().fixed = std::vector<double>();
        wk().fixed_slots = std::vector<std::uint32_t>();
        wk().fixed_next = std::vector<std::uint32_t>();
        wk().groups = std::vector<Group>();
    }

    /// The trees' votes are all 1 (majorityVote, or every weight 1) in a classification.
    bool votes_unweighted() const {
        return classification() && std::all_of(flat.begin(), flat.end(), [&](const Flat& f) {
                   return method == Method::majority_vote || f.weight == 1.0;
               });
    }

    /// The mean depth of a flat tree's leaves and the depth of its deepest leaf (levels below the
    /// root).
    static std::pair<double, std::size_t> leaf_depth(const FlatTree& t) {
        std::size_t leaves = 0, depths = 0, deepest = 0;
        std::vector<std::pair<std::int32_t, std::size_t>> todo{{0, 0}};
        while (!todo.empty()) {
            auto [i, d] = todo.back();
            todo.pop_back();
            const FlatNode& n = t.nodes()[static_cast<std::size_t>(i)];
            if (n.slot_flags & FlatNode::leaf) {
                ++leaves;
                depths += d;
                deepest = std::max(deepest, d);
                continue;
            }
            todo.push_back({i + n.next, d + 1});
            todo.push_back({i + n.next + 1, d + 1});
        }
        return {static_cast<double>(depths) / static_cast<double>(leaves), deepest};
    }

    static Split leaf_split(std::int32_t self, std::int32_t vote) {
        return {FlatNode::make_leaf(vote).value, 0, self - 1};
    }

    /// Appends f's tree to `out` and sets f.root: a node's two children sit side by side, the one
    /// its test picks when it holds first (FlatNode: the first child, next, when the test holds !=
    /// flip), so a walk needs no flip. `leaf(j, vote)` is the entry of a leaf at index j voting for
    /// `vote` (the ensemble's category, or the score's index; -1 for none); `inner(n, at)` the entry
    /// of internal node n whose children are at `at` and `at + 1`.
    template <class Entry, class Leaf, class Inner>
    void copy_tree(Flat& f, std::vector<Entry>& out, Leaf leaf, Inner inner) const {
        const bool cls = categorical();
        f.root = static_cast<std::int32_t>(out.size());
        out.push_back({});
        // (node of the flat tree, its index in out)
        std::vector<std::pair<std::int32_t, std::int32_t>> todo{{0, f.root}};
        while (!todo.empty()) {
            auto [i, j] = todo.back();
            todo.pop_back();
            const FlatNode& n = f.tree->nodes()[static_cast<std::size_t>(i)];
            if (n.slot_flags & FlatNode::leaf) {
                int payload = f.tree->payload(i);
                out[static_cast<std::size_t>(j)] = leaf(j, payload < 0 ? -1
                                                           : cls       ? f.cat_map[payload]
                                                                       : payload);
                continue;
            }
            const bool flip = (n.slot_flags & FlatNode::flip) != 0;
            auto at = static_cast<std::int32_t>(out.size());
            out.push_back({});
            out.push_back({});
            out[static_cast<std::size_t>(j)] = inner(n, at);
            const std::int32_t kids = i + n.next;
            todo.push_back({flip ? kids + 1 : kids, at});
            todo.push_back({flip ? kids : kids + 1, at + 1});
        }
    }

    /// Appends f's tree to `numeric_levels` (a leaf steps to itself).
    void pack_numeric_levels(Flat& f) {
        copy_tree(f, wk().numeric_levels, leaf_split, [](const FlatNode& n, std::int32_t at) {
            return Split{n.value, n.slot_flags >> 4, at};
        });
    }

    /// Lists the inputs of a lockstep walk over the trees' own forms in mask_slots when it can be
    /// masked().
    void choose_masked() {
        wk().mask_slots.clear();
        wk().mask_numbers = 0;
        if (!lockstep || numeric) return;
        std::uint64_t numbers = 0, sets = 0;
        for (const Flat& f : flat)
            for (const FlatNode& n : f.tree->nodes()) {
                if (n.slot_flags & FlatNode::leaf) continue;
                const auto slot = static_cast<std::uint32_t>(n.slot_flags) >> 4;
                const bool set = (n.slot_flags & FlatNode::category) != 0;
                // (a flipped set's node, which the compiler never makes, would need an entry of its own)
                if (slot >= max_masks / 4 || (set && (n.slot_flags & FlatNode::flip))) return;
                (set ? sets : numbers) |= std::uint64_t{1} << slot;
            }
        if (numbers & sets) return;
        for (std::uint32_t slot = 0; slot < 64; ++slot)
            if ((numbers >> slot) & 1u) wk().mask_slots.push_back(slot);
        wk().mask_numbers = static_cast<std::uint32_t>(wk().mask_slots.size());
        for (std::uint32_t slot = 0; slot < 64; ++slot)
            if ((sets >> slot) & 1u) wk().mask_slots.push_back(slot);
        wk().mask_slots.shrink_to_fit();
    }

    /// Appends f's tree to `fixed`, `fixed_slots` and `fixed_next` (a leaf steps to itself, its NaN
    /// holding its increment).
    void pack_fixed(Flat& f) {
        std::vector<Split> nodes;
        copy_tree(
            f, nodes,
            [](std::int32_t j, std::int32_t v) {
                const std::uint64_t bits = nan_bits | vote_inc[v + 1];
                Split l{0.0, 0, j - 1};
                std::memcpy(&l.value, &bits, sizeof bits);
                return l;
            },
            [](const FlatNode& n, std::int32_t at) {
                return Split{n.value, n.slot_flags >> 4, at};
            });
        const auto base = static_cast<std::uint32_t>(wk().fixed.size());
        f.root = static_cast<std::int32_t>(base);
        for (const Split& n : nodes) {
            wk().fixed.push_back(n.value);
            wk().fixed_slots.push_back(static_cast<std::uint32_t>(n.slot));
            wk().fixed_next.push_back(base + static_cast<std::uint32_t>(n.next));
        }
    }

    /// Appends f's tree to `packed` (see Split): a leaf's slot is -2 - its vote.
    void pack(Flat& f) {
        copy_tree(
            f, wk().packed,
            [](std::int32_t /*j*/, std::int32_t v) {
                return Split{0.0, -2 - v, -1};
            },
            [](const FlatNode& n, std::int32_t at) {
                return Split{n.value, n.slot_flags >> 4, at};
            });
    }

    std::size_t memory_bytes() const override {
        return own_bytes(*this) + (preds ? sizeof(Predicates) + preds->memory_bytes() : 0) +
               segs.capacity() * sizeof(Segment) + cat_maps.capacity() * sizeof(int) +
               flat.capacity() * sizeof(Flat) + wk().packed.capacity() * sizeof(Split) +
               (wk().fixed.capacity() + share.capacity()) * sizeof(double) +
               (wk().fixed_slots.capacity() + wk().fixed_next.capacity()) * sizeof(std::uint32_t) +
               wk().groups.capacity() * sizeof(Group) + wk().numeric_levels.capacity() * sizeof(Split) +
               wk().mask_slots.capacity() * sizeof(std::uint32_t) + (walks ? sizeof(Walks) : 0) +
               (ranked ? sizeof(RankedForest) + ranked->memory_bytes() : 0);
    }

    /// Returns false when some input is missing or a tree gives no prediction (the general loop then
    /// applies every strategy).
    bool evaluate_flat(Ctx& ctx, ModelResult& r) const;

    void finalize(Layout& layout) override {
        // At least four doubles, so class_probabilities clears the usual few classes without a call.
        if (classification()) class_work = layout.add_work(std::max(static_cast<int>(categories.size()), 4));
    }
    /// The direct plan of a classification whose segments all take the flat walk: the vote shares
    /// evaluate_flat() puts into the result, without the result.
    bool gives_class_probabilities() const override { return classification() && flat_trees != 0; }
    const double* class_probabilities(Ctx& ctx) const override {
        const EvalScratch& s = *ctx.s;
        if (flat_trees == 0 || !flat_applies(s)) return nullptr;
        double* acc = ctx.work(class_work);
        return counted ? count_votes(s, acc) : add_votes(s, acc);
    }

private:
    /// class_probabilities when not `counted` (out of line: the counted path then needs fewer
    /// registers saved).
    [[gnu::noinline]] const double* add_votes(const EvalScratch& s, double* acc) const {
        if (categories.size() <= 4)
            acc[0] = acc[1] = acc[2] = acc[3] = 0.0;
        else
            std::fill(acc, acc + categories.size(), 0.0);
        double total = 0;
        std::size_t count = 0;
        bool ok = wk().packed.empty() ? walk_flat(s, acc, total, nullptr, nullptr, count)
                  : method == Method::weighted_majority_vote ? vote_packed<true>(s.xs.data(), acc, total)
                                                             : vote_packed<false>(s.xs.data(), acc, total);
        if (!ok) return nullptr;
        shares(acc, total);
        return acc;
    }

protected:
    void evaluate(Ctx& ctx, ModelResult& r) const override;

private:
    bool flat_applies(const EvalScratch& s) const noexcept {
        return ((s.missing_bits & flat_used) | (s.outside_bits & flat_strict)) == 0;
    }
    /// Walks every tree of `flat` (only when flat_applies()): a categorical model adds each tree's
    /// vote to acc (zeroed by the caller) and its weight to total; a regression stores each tree's
    /// value and weight in values / weights, `count` of them. False when a tree gives no prediction.
    bool walk_flat(const EvalScratch& s, double* acc, double& total, double* values, double* weights,
                   std::size_t& count) const;
    /// The vote counts as shares of the total weight (in float for x-mathContext="float").
    void shares(double* acc, double total) const {
        for (std::size_t c = 0; c < categories.size(); ++c) acc[c] /= total;
        if (float_math) round_to_float(acc, categories.size());
    }
    static void round_to_float(double* v, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<double>(static_cast<float>(v[i]));
    }

    /// count_votes over `fixed`: the packed count of the votes (out of line: class_probabilities
    /// then saves no more registers than the other walks need).
    [[gnu::noinline]] std::uint64_t count_fixed(const double* xs) const;
    /// count_votes over `ranked`.
    [[gnu::noinline]] std::uint64_t count_ranked(const double* xs) const {
        return ranked->sum(xs) - vote_bias;
    }

    /// count_votes over the lockstep walks: the packed count of the votes.
    template <std::size_t lanes_n>
    [[gnu::noinline]] std::uint64_t count_lockstep(const double* xs, const std::int32_t* cats) const;
    /// The lockstep walk over the trees' own forms, lanes_n trees at a time: take(tree, payload of
    /// its leaf) for every tree in order, stopping at the first false.
    template <std::size_t lanes_n, class Take>
    bool walk_own(const double* xs, const std::int32_t* cats, Take take) const;

    /// walk_flat's vote over `packed` (classification), inline in class_probabilities.
    template <bool weighted>
    bool vote_packed(const double* xs, double* acc, double& total) const {
        const Split* all = wk().packed.data();
        for (const Flat& t : flat) {
            const Split* n = all + t.root;
            while (n->slot >= 0)
                n = all + n->next + static_cast<int>(!(xs[static_cast<std::size_t>(n->slot)] <= n->value));
            const int v = -2 - n->slot;
            if (v < 0) return false;
            const double w = weighted ? t.weight : 1.0;
            acc[v] += w;
            total += w;
        }
        return true;
    }

    /// class_probabilities when `counted`: walks the trees of `packed` adding each leaf's increment
    /// to one integer, twelve bits per category and the trees without a vote from bit 48.
    /// Each share is then the count over the number of trees, as the general path divides (its
    /// sums of 1.0 are exact integers, and every tree voted).
    const double* count_votes(const EvalScratch& s, double* acc) const {
        const double* xs = s.xs.data();
        std::uint64_t votes = 0;
        if (lockstep) {
            votes = lanes == 5 ? count_lockstep<5>(xs, s.cats.data()) : count_lockstep<4>(xs, s.cats.data());
        } else if (ranked) {
            votes = count_ranked(xs);
        } else if (!wk().fixed.empty()) {
            votes = count_fixed(xs);
        } else {
            const Split* all = wk().packed.data();
            for (const Flat& t : flat) {
                const Split* n = all + t.root;
                while (n->slot >= 0)
                    n = all + n->next +
                        static_cast<int>(!(xs[static_cast<std::size_t>(n->slot)] <= n->value));
                votes += vote_inc[-1 - n->slot];
            }
        }
        if (votes >> 48) return nullptr;
        // Four shares whatever the number of categories (the work area has at least four doubles;
        // a category that is not there has no votes), each count at most flat.size().
        const double* by_count = share.data();
        acc[0] = by_count[votes & 0xfffu];
        acc[1] = by_count[(votes >> 12) & 0xfffu];
        acc[2] = by_count[(votes >> 24) & 0xfffu];
        acc[3] = by_count[(votes >> 36) & 0xfffu];
        return acc;
    }

    void copy_result(const Segment& s, const ModelResult& sr, ModelResult& r) const {
        r.entity_id = sr.entity_id;
        if (!categorical()) {
            r.value = sr.value;
            return;
        }
        const ArrayView<int> map = cat_map(s);
        if (sr.category < 0 || map.empty()) {
            r.value = sr.value;
            return;
        }
        for (std::size_t i = 0; i < map.size(); ++i) r.probs[static_cast<std::size_t>(map[i])] = sr.probs[i];
        r.has_probs = sr.has_probs;
        r.category = map[static_cast<std::size_t>(sr.category)];
        r.value = category_value(r.category);
    }
};

const MiningModelImpl::Walks MiningModelImpl::no_walks{};

double weighted_median(double* v, double* w, std::size_t n) {
    // Insertion sort by value, carrying weights (segment counts are small).
    for (std::size_t i = 1; i < n; ++i) {
        double x = v[i], y = w[i];
        std::size_t j = i;
        for (; j > 0 && v[j - 1] > x; --j) {
            v[j] = v[j - 1];
            w[j] = w[j - 1];
        }
        v[j] = x;
        w[j] = y;
    }
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) total += w[i];
    double acc = 0;
    for (std::size_t i = 0; i < n; ++i) {
        acc += w[i];
        if (acc >= total / 2) return v[i];
    }
    return v[n - 1];
}

/// Combines the segments' numbers (values and weights are scratch: median sorts them). T is the
/// arithmetic type: double, or float for x-mathContext="float". False for methods without a number.
template <class T>
bool combine(Method method, double* values, double* weights, std::size_t count, double& out) {
    T y = 0;
    switch (method) {
        case Method::average:
            for (std::size_t i = 0; i < count; ++i) y += static_cast<T>(values[i]);
            y /= static_cast<T>(count);
            break;
        case Method::weighted_average: {
            T w = 0;
            for (std::size_t i = 0; i < count; ++i) {
                y += static_cast<T>(weights[i]) * static_cast<T>(values[i]);
                w += static_cast<T>(weights[i]);
            }
            y /= w;
            break;
        }
        case Method::sum:
            for (std::size_t i = 0; i < count; ++i) y += static_cast<T>(values[i]);
            break;
        case Method::weighted_sum:
            for (std::size_t i = 0; i < count; ++i)
                y += static_cast<T>(weights[i]) * static_cast<T>(values[i]);
            break;
        case Method::max:
            y = static_cast<T>(values[0]);
            for (std::size_t i = 1; i < count; ++i) y = std::max(y, static_cast<T>(values[i]));
            break;
        case Method::median:
            std::sort(values, values + count);
            y = count % 2
                    ? static_cast<T>(values[count / 2])
                    : (static_cast<T>(values[count / 2 - 1]) + static_cast<T>(values[count / 2])) / T(2);
            break;
        case Method::weighted_median:
            y = static_cast<T>(weighted_median(values, weights, count));
            break;
        default:
            return false;
    }
    out = static_cast<double>(y);
    return true;
}

/// The per-record entries of the masked lockstep walk (MiningModelImpl::masked()), at
/// slot_flags >> 2 of a node: its input's value, a mask for its set and what the masked bits equal
/// when the node sends the record to its second child.
struct MaskedEntries {
    const double* values;
    const std::uint64_t* masks;
    const std::uint64_t* second;
};

/// The node one level down from flat node n in the masked lockstep walk.
inline const FlatNode* masked_step(const FlatNode* n, const MaskedEntries& e) noexcept {
    std::uint64_t bits;
    std::memcpy(&bits, &n->value, sizeof bits);
    const std::size_t at = static_cast<std::uint32_t>(n->slot_flags) >> 2;
    const auto second = static_cast<std::uint32_t>((bits & e.masks[at]) == e.second[at]) ^
                        static_cast<std::uint32_t>(e.values[at] <= n->value);
    return n + n->next + static_cast<std::ptrdiff_t>(second);
}

/// The lockstep walk of four or five lanes (indexes into a copy, or pointers to nodes): they start
/// at the given roots, go down by `step(lane)` and the walk ends when no lane moved (every lane on
/// a leaf, which steps to itself). Two levels per check: a lane on a leaf stays there, so at most
/// one round is wasted.
template <int lanes, class Lane, class Step>
inline void walk_lockstep(const Lane* roots, Lane* at, Step step) {
    static_assert(lanes == 4 || lanes == 5, "four or five lanes");
    Lane i0 = roots[0], i1 = roots[1], i2 = roots[2], i3 = roots[3], i4 = roots[lanes - 1];
    for (;;) {
        i0 = step(i0);
        i1 = step(i1);
        i2 = step(i2);
        i3 = step(i3);
        if constexpr (lanes == 5) i4 = step(i4);
        Lane j0 = step(i0), j1 = step(i1), j2 = step(i2), j3 = step(i3);
        Lane j4 = lanes == 5 ? step(i4) : i4;
        auto bits = [](Lane x) {
            if constexpr (std::is_pointer_v<Lane>)
                return reinterpret_cast<std::uintptr_t>(x);
            else
                return static_cast<std::uintptr_t>(x);
        };
        bool moved = ((bits(j0) ^ bits(i0)) | (bits(j1) ^ bits(i1)) | (bits(j2) ^ bits(i2)) |
                      (bits(j3) ^ bits(i3)) | (bits(j4) ^ bits(i4))) != 0;
        i0 = j0;
        i1 = j1;
        i2 = j2;
        i3 = j3;
        i4 = j4;
        if (!moved) break;
    }
    at[0] = i0;
    at[1] = i1;
    at[2] = i2;
    at[3] = i3;
    if constexpr (lanes == 5) at[4] = i4;
}

/// The lockstep walk over the trees' own flat forms, lane k from the root trees[k] to the leaf
/// at[k]: by masked_step() when `masked` is given, else by FlatTree::step().
template <int lanes, bool narrow>
void walk_trees(const FlatNode* const* trees, const FlatNode** at, const double* xs, const std::int32_t* cats,
                const MaskedEntries* masked) {
    if (masked)
        walk_lockstep<lanes>(trees, at, [e = *masked](const FlatNode* n) { return masked_step(n, e); });
    else
        walk_lockstep<lanes>(trees, at,
                             [&](const FlatNode* n) { return n + FlatTree::step<narrow>(*n, xs, cats); });
}

/// The lockstep walk over `numeric_levels`: one comparison per lane and level.
template <int lanes>
void walk_numeric_levels(const MiningModelImpl::Split* all, const std::int32_t* roots, int* at,
                         const double* xs) {
    walk_lockstep<lanes>(roots, at, [&](int i) {
        const MiningModelImpl::Split& n = all[i];
        return n.next + static_cast<int>(!(xs[static_cast<std::size_t>(n.slot)] <= n.value));
    });
}

/// The walk of a group of `fixed` (lanes trees from `trees`, `levels` steps each): the sum of the
/// bits of the leaves the lanes stand on.
template <int lanes>
inline std::uint64_t walk_fixed(const double* value, const std::uint32_t* slot, const std::uint32_t* next,
                                const MiningModelImpl::Flat* trees, int levels, const double* xs) {
    std::uint32_t at[lanes];
    for (int k = 0; k < lanes; ++k) at[k] = static_cast<std::uint32_t>(trees[k].root);
    auto step = [&] {
        for (int k = 0; k < lanes; ++k) {
            const std::uint32_t i = at[k];
            at[k] = next[i] + static_cast<std::uint32_t>(!(xs[slot[i]] <= value[i]));
        }
    };
    // Two levels per round (and one first for an odd number): half the loop's tests.
    if (levels & 1) step();
    for (int l = levels >> 1; l > 0; --l) {
        step();
        step();
    }
    std::uint64_t sum = 0;
    for (int k = 0; k < lanes; ++k) {
        std::uint64_t bits;
        std::memcpy(&bits, &value[at[k]], sizeof bits);
        sum += bits;
    }
    return sum;
}

std::uint64_t MiningModelImpl::count_fixed(const double* xs) const {
    const double* value = wk().fixed.data();
    const std::uint32_t* slot = wk().fixed_slots.data();
    const std::uint32_t* next = wk().fixed_next.data();
    const Flat* trees = flat.data();
    std::uint64_t sum = 0;
    for (const Group& g : wk().groups) {
        const Flat* t = trees + g.first;
        const int levels = g.levels;
        if (g.lanes == 5)
            sum += walk_fixed<5>(value, slot, next, t, levels, xs);
        else if (g.lanes == 4)
            sum += walk_fixed<4>(value, slot, next, t, levels, xs);
        else if (g.lanes == 3)
            sum += walk_fixed<3>(value, slot, next, t, levels, xs);
        else if (g.lanes == 2)
            sum += walk_fixed<2>(value, slot, next, t, levels, xs);
        else
            sum += walk_fixed<1>(value, slot, next, t, levels, xs);
    }
    return sum - vote_bias;
}

template <std::size_t lanes_n, class Take>
bool MiningModelImpl::walk_own(const double* xs, const std::int32_t* cats, Take take) const {
    constexpr int lanes_i = static_cast<int>(lanes_n);
    static const FlatNode idle = FlatNode::make_leaf(-1);  // where the last group's idle lanes stand
    double values[max_masks];
    std::uint64_t masks[max_masks], second[max_masks];
    // masked(): per record, the entries of each input (slot << 2 | flip << 1; a set's node is never
    // flipped, and a strict pair's reads its input's entry): a number with an empty mask whose
    // masked bits equal 0 for the second child, or 1 (never) when flipped; a category's mask,
    // whose masked bits equal 0 for the second child, and 0 (no number is <= a set's NaN).
    // Without masked() the loops do nothing and the walk reads xs and cats.
    const std::uint32_t* slots = wk().mask_slots.data();
    const std::size_t numbers = wk().mask_numbers, inputs = wk().mask_slots.size();
    values[3] = 0.0;  // the leaves' entry (slot 0, leaf | flip): never the second child
    masks[3] = 0;
    second[3] = 1;
    for (std::size_t i = 0; i < numbers; ++i) {
        const std::uint32_t at = slots[i] << 2;
        values[at] = values[at | 2u] = xs[slots[i]];
        masks[at] = masks[at | 2u] = 0;
        second[at] = 0;
        second[at | 2u] = 1;
    }
    for (std::size_t i = numbers; i < inputs; ++i) {
        const std::uint32_t at = slots[i] << 2;
        const auto c = static_cast<std::uint32_t>(cats[slots[i]]);
        values[at] = 0.0;
        masks[at] = std::uint64_t{1} << (c < FlatNode::set_bits ? c : 63u);
        second[at] = 0;
    }
    const MaskedEntries entries{values, masks, second};
    const MaskedEntries* m = masked() ? &entries : nullptr;
    const FlatNode* trees[lanes_n];
    const FlatNode* at[lanes_n];
    for (std::size_t base = 0; base < flat.size(); base += lanes_n) {
        const std::size_t n = std::min(lanes_n, flat.size() - base);
        for (std::size_t k = 0; k < lanes_n; ++k)
            trees[k] = k < n ? flat[base + k].tree->nodes().data() : &idle;
        if (m || narrow)  // (the masked step reads no category index: `narrow` does not matter to it)
            walk_trees<lanes_i, true>(trees, at, xs, cats, m);
        else
            walk_trees<lanes_i, false>(trees, at, xs, cats, m);
        for (std::size_t k = 0; k < n; ++k)
            if (!take(flat[base + k], FlatTree::payload_of(*at[k]))) return false;
    }
    return true;
}

template <std::size_t lanes_n>
std::uint64_t MiningModelImpl::count_lockstep(const double* xs, const std::int32_t* cats) const {
    std::uint64_t votes = 0;
    if (wk().numeric_levels.empty()) {
        walk_own<lanes_n>(xs, cats, [&](const Flat& t, int payload) {
            votes += vote_inc[payload < 0 ? 0 : t.cat_map[payload] + 1];
            return true;
        });
        return votes;
    }
    constexpr int lanes_i = static_cast<int>(lanes_n);
    const Split* all = wk().numeric_levels.data();
    std::int32_t roots[lanes_n];
    int at[lanes_n];
    for (std::size_t base = 0; base < flat.size(); base += lanes_n) {
        std::size_t n = std::min(lanes_n, flat.size() - base);
        for (std::size_t k = 0; k < lanes_n; ++k) roots[k] = k < n ? flat[base + k].root : 0;
        walk_numeric_levels<lanes_i>(all, roots, at, xs);
        // A leaf's NaN holds its vote in the low 32 bits (-1 for none).
        for (std::size_t k = 0; k < n; ++k) {
            std::uint64_t bits;
            std::memcpy(&bits, &all[at[k]].value, sizeof bits);
            votes += vote_inc[static_cast<std::int32_t>(static_cast<std::uint32_t>(bits)) + 1];
        }
    }
    return votes;
}

bool MiningModelImpl::walk_flat(const EvalScratch& s, double* acc, double& total, double* values,
                                double* weights, std::size_t& count) const {
    const double* xs = s.xs.data();
    const std::int32_t* cats = s.cats.data();
    const bool cls = categorical();
    const bool weighted = method == Method::weighted_majority_vote;
    // Same operations in the same order as the general path, so both give identical results.
    auto take = [&](const Flat& t, int payload) {
        if (payload < 0) return false;
        if (cls) {
            double w = weighted ? t.weight : 1.0;
            acc[t.cat_map[payload]] += w;
            total += w;
        } else {
            values[count] = t.tree->scores[payload];
            weights[count] = t.weight;
            ++count;
        }
        return true;
    };
    if (!wk().packed.empty()) {
        const Split* all = wk().packed.data();
        for (const Flat& t : flat) {
            const Split* n = all + t.root;
            while (n->slot >= 0)
                n = all + n->next + static_cast<int>(!(xs[static_cast<std::size_t>(n->slot)] <= n->value));
            const int v = -2 - n->slot;
            if (v < 0) return false;
            if (cls) {
                double w = weighted ? t.weight : 1.0;
                acc[v] += w;
                total += w;
            } else {
                values[count] = t.tree->scores[v];
                weights[count] = t.weight;
                ++count;
            }
        }
        return true;
    }
    if (lockstep && wk().numeric_levels.empty())
        return lanes == 5 ? walk_own<5>(xs, cats, take) : walk_own<4>(xs, cats, take);
    if (lockstep) {
        // The group size is a compile-time constant in each form, so the loops over lanes unroll.
        const Split* all = wk().numeric_levels.data();
        auto walk_groups = [&](auto lanes_c) {
            constexpr std::size_t lanes_n = decltype(lanes_c)::value;
            constexpr int lanes_i = static_cast<int>(lanes_n);
            std::int32_t roots[lanes_n];
            int at[lanes_n];
            for (std::size_t base = 0; base < flat.size(); base += lanes_n) {
                std::size_t n = std::min(lanes_n, flat.size() - base);
                for (std::size_t k = 0; k < lanes_n; ++k) roots[k] = k < n ? flat[base + k].root : 0;
                walk_numeric_levels<lanes_i>(all, roots, at, xs);
                for (std::size_t k = 0; k < n; ++k) {
                    std::uint64_t bits;
                    std::memcpy(&bits, &all[at[k]].value, sizeof bits);
                    const auto v = static_cast<std::int32_t>(static_cast<std::uint32_t>(bits));
                    if (v < 0) return false;
                    const Flat& t = flat[base + k];
                    if (cls) {
                        double w = weighted ? t.weight : 1.0;
                        acc[v] += w;
                        total += w;
                    } else {
                        values[count] = t.tree->scores[v];
                        weights[count] = t.weight;
                        ++count;
                    }
                }
            }
            return true;
        };
        return lanes == 5 ? walk_groups(std::integral_constant<std::size_t, 5>{})
                          : walk_groups(std::integral_constant<std::size_t, 4>{});
    }
    // Shallow trees (deep ones walk in lockstep above; a forest with the fixed copy never
    // comes here, its votes are counted), one after another.
    for (const Flat& t : flat)
        if (!take(t, t.tree->payload(t.tree->walk(xs, cats)))) return false;
    return true;
}

bool MiningModelImpl::evaluate_flat(Ctx& ctx, ModelResult& r) const {
    const EvalScratch& s = *ctx.s;
    if (!flat_applies(s)) return false;
    if (ranked || !wk().fixed.empty()) {
        // The ranked or fixed copy stands in for the packed one here too: the count of the trees' votes
        // (each an exact 1.0, as walk_flat adds them; a tree without a vote sends the record to
        // the segments). count_votes writes four shares whatever the number of categories.
        double acc[4];
        if (!count_votes(s, acc)) return false;
        std::copy(acc, acc + categories.size(), r.probs.begin());
        r.has_probs = true;
        pick_best(r);
        return true;
    }
    double total = 0;
    double* values = ctx.work(work);
    double* weights = values + segs.size();
    std::size_t count = 0;
    if (!walk_flat(s, r.probs.data(), total, values, weights, count)) return false;
    if (categorical()) {
        shares(r.probs.data(), total);
        r.has_probs = true;
        pick_best(r);
        return true;
    }
    double y;
    if (!(float_math ? combine<float>(method, values, weights, count, y)
                     : combine<double>(method, values, weights, count, y)))
        return false;
    r.value = Value::number(y);
    return true;
}

void MiningModelImpl::evaluate(Ctx& ctx, ModelResult& r) const {
    if (flat_trees != 0) {
        if (evaluate_flat(ctx, r)) return;
        std::fill(r.probs.begin(), r.probs.end(), 0.0);  // start over on the general path
    }
    std::size_t n = segs.size();
    double* values = ctx.work(work);
    double* weights = values + n;
    std::size_t count = 0, missing = 0, evaluated = 0;
    const Segment* last = nullptr;
    const ModelResult* last_result = nullptr;
    std::size_t nc = categories.size();
    double* acc = r.probs.data();
    double total_weight = 0;
    for (const auto& s : segs) {
        if (!s.always && preds->eval(ctx, s.pred) != Truth::yes) continue;
        if (s.quick) {
            int cat = -1;
            double x = 0;
            int q = s.model->quick(ctx, cat, x);
            if (q == 0) {
                ++evaluated;
                ++missing;
                if (mpt == MissingPrediction::return_missing) return;
                if (static_cast<double>(missing) / static_cast<double>(n) > missing_threshold) return;
                continue;
            }
            if (q == 1) {
                ++evaluated;
                if (categorical()) {
                    int c = cat_map(s)[static_cast<std::size_t>(cat)];
                    double w = method == Method::weighted_majority_vote ? s.weight : 1.0;
                    acc[c] += w;
                    total_weight += w;
                } else {
                    values[count] = x;
                    weights[count] = s.weight;
                }
                ++count;
                continue;
            }
        }
        const ModelResult& sr = s.model->run(ctx);
        ++evaluated;
        if (sr.value.is_missing()) {
            ++missing;
            if (mpt == MissingPrediction::return_missing) return;
            if (evaluated && static_cast<double>(missing) / static_cast<double>(n) > missing_threshold)
                return;
            if (method == Method::select_first) return;
            if (method == Method::model_chain) last = nullptr;
            continue;
        }
        if (method == Method::select_first) {
            copy_result(s, sr, r);
            return;
        }
        if (method == Method::model_chain) {
            last = &s;
            last_result = &sr;
            continue;
        }
        if (categorical()) {
            const ArrayView<int> map = cat_map(s);
            int cat = sr.category >= 0 && !map.empty() ? map[static_cast<std::size_t>(sr.category)] : -1;
            if (cat < 0) {
                // a segment that predicts a number: take it as a category label
                continue;
            }
            switch (method) {
                case Method::majority_vote:
                    acc[cat] += 1.0;
                    total_weight += 1.0;
                    break;
                case Method::weighted_majority_vote:
                    acc[cat] += s.weight;
                    total_weight += s.weight;
                    break;
                case Method::average:
                case Method::weighted_average:
                case Method::max:
                case Method::median: {
                    double w = method == Method::weighted_average ? s.weight : 1.0;
                    for (std::size_t i = 0; i < map.size(); ++i) {
                        double p =
                            sr.has_probs ? sr.probs[i] : (static_cast<int>(i) == sr.category ? 1.0 : 0.0);
                        if (method == Method::max) {
                            acc[map[i]] = std::max(acc[map[i]], p);
                        } else {
                            acc[map[i]] += w * p;
                        }
                    }
                    total_weight += w;
                    break;
                }
                default:
                    break;
            }
            ++count;
        } else {
            double x;
            if (!as_double(sr.value, x)) continue;
            values[count] = x;
            weights[count] = s.weight;
            ++count;
        }
    }
    if (method == Method::model_chain) {
        if (last) copy_result(*last, *last_result, r);
        return;
    }
    if (count == 0) return;
    if (categorical()) {
        if (method != Method::max)
            for (std::size_t i = 0; i < nc; ++i) acc[i] /= total_weight;
        if (float_math) round_to_float(acc, nc);
        r.has_probs = true;
        pick_best(r);
        return;
    }
    double y;
    if (!(float_math ? combine<float>(method, values, weights, count, y)
                     : combine<double>(method, values, weights, count, y)))
        return;
    r.value = Value::number(y);
}

}  // namespace

std::unique_ptr<CompiledModel> compile_mining_model(ModelContext& mc) {
    auto m = std::make_unique<MiningModelImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    auto seg = Compiler::child(n, "Segmentation");
    if (!seg) {
        if (Compiler::child(n, "Regression") || Compiler::child(n, "DecisionTree"))
            c.unsupported(n, "MiningModel with embedded Regression/DecisionTree (PMML 3) is not supported");
        c.parse_fail(n, "MiningModel without a Segmentation");
    }
    if (Compiler::child(seg, "LocalTransformations"))
        c.declare_derived(Compiler::child(seg, "LocalTransformations"), mc.scope);
    auto method = c.required(seg, "multipleModelMethod");
    if (method == "majorityVote")
        m->method = Method::majority_vote;
    else if (method == "weightedMajorityVote")
        m->method = Method::weighted_majority_vote;
    else if (method == "average")
        m->method = Method::average;
    else if (method == "weightedAverage")
        m->method = Method::weighted_average;
    else if (method == "median")
        m->method = Method::median;
    else if (method == "weightedMedian")
        m->method = Method::weighted_median;
    else if (method == "max")
        m->method = Method::max;
    else if (method == "sum")
        m->method = Method::sum;
    else if (method == "weightedSum")
        m->method = Method::weighted_sum;
    else if (method == "selectFirst")
        m->method = Method::select_first;
    else if (method == "modelChain")
        m->method = Method::model_chain;
    else if (method == "selectAll")
        c.unsupported(seg, "multipleModelMethod 'selectAll' is not supported (it has no single result)");
    else
        c.invalid(seg, "unknown multipleModelMethod '" + std::string(method) + "'");
    bool cls = m->categorical();  // clustering ensembles vote on cluster ids like classes
    if (cls && (m->method == Method::sum || m->method == Method::weighted_sum ||
                m->method == Method::weighted_median))
        c.invalid(seg, "multipleModelMethod '" + std::string(method) + "' needs a regression MiningModel");
    if (!cls && (m->method == Method::majority_vote || m->method == Method::weighted_majority_vote))
        c.invalid(seg,
                  "multipleModelMethod '" + std::string(method) + "' needs a classification MiningModel");
    auto mpt = c.attr(seg, "missingPredictionTreatment");
    if (mpt.empty() || mpt == "continue")
        m->mpt = MiningModelImpl::MissingPrediction::continue_;
    else if (mpt == "returnMissing")
        m->mpt = MiningModelImpl::MissingPrediction::return_missing;
    else if (mpt == "skipSegment")
        m->mpt = MiningModelImpl::MissingPrediction::skip_segment;
    else
        c.invalid(seg, "unknown missingPredictionTreatment '" + std::string(mpt) + "'");
    m->missing_threshold = c.number(seg, "missingThreshold", 1.0);

    for (auto s : Compiler::children(seg, "Segment")) {
        MiningModelImpl::Segment segment;
        pugi::xml_node pred_node, model_node;
        for (auto k : s.children()) {
            if (k.type() != pugi::node_element) continue;
            auto kn = Compiler::name_of(k);
            if (kn == "Extension") continue;
            if (Compiler::is_model_element(kn)) {
                if (!model_node) model_node = k;
            } else if (!pred_node) {
                pred_node = k;
            }
        }
        if (!pred_node) c.parse_fail(s, "Segment without a predicate");
        if (!model_node) c.parse_fail(s, "Segment without a model");
        if (!m->preds) m->preds = std::make_unique<Predicates>();
        segment.pred = m->preds->compile(c, pred_node, mc.scope, 0);
        segment.always = m->preds->always_true(segment.pred);
        segment.weight = c.number(s, "weight", 1.0);
        CompiledModel* sm = c.model(model_node, mc.scope, mc.depth + 1, false);
        segment.model = sm;
        c.expose_outputs(*sm, mc.scope);
        if (cls && sm->categorical()) {
            std::vector<int> map;
            for (const auto& cat : sm->categories) map.push_back(m->intern_category(cat.text));
            segment.cat_at = m->add_cat_map(map);
            segment.cat_n = static_cast<std::uint32_t>(map.size());
        }
        // The fast path skips the segment's ModelResult: only when nothing reads it (no output
        // fields) and the method needs just the predicted class or value.
        bool votes = m->method == Method::majority_vote || m->method == Method::weighted_majority_vote;
        bool numeric = !cls && (m->method == Method::sum || m->method == Method::weighted_sum ||
                                m->method == Method::average || m->method == Method::weighted_average ||
                                m->method == Method::median || m->method == Method::weighted_median ||
                                m->method == Method::max);
        segment.quick =
            c.outputs(*sm).slots.empty() && !sm->post &&
            ((votes && sm->categorical() && segment.cat_at >= 0) || (numeric && !sm->classification()));
        // The quick path or run(): either way the vote reads the category, a sum or an average the
        // value (see the general loop).
        if (segment.quick) sm->prediction_only = true;
        m->segs.push_back(std::move(segment));
    }
    if (m->segs.empty()) c.parse_fail(seg, "Segmentation without a Segment");
    m->segs.shrink_to_fit();
    if (std::all_of(m->segs.begin(), m->segs.end(), [](const auto& s) { return s.always; })) m->preds.reset();
    m->cat_maps.shrink_to_fit();

    m->work = c.prog.layout.add_work(2 * static_cast<int>(m->segs.size()));
    return m;
}

}  // namespace scorestream::pmml::detail
