// TreeModel. Nodes are flattened into one array in which the children of a node are contiguous.
// Each node is 24 hot bytes: its own predicate when that is a numeric comparison (the common case,
// tested inline), or an index into a Predicates table for everything else, plus its children and
// its payload (class index or score index). Colder data (ids, score distributions, default
// children, record counts) lives in side arrays that exist only when the document uses them. A tree
// whose every split is binary keeps only its 16-byte flat form (FlatTree): records with a missing
// input walk the same nodes with the missing-value strategies applied (select_flat), so the 24-byte
// nodes are dropped once the flat form is built.

#include "compiler.hpp"
#include "packed_arrays.hpp"
#include "predicate.hpp"

#include <algorithm>
#include <cstring>

namespace scorestream::pmml::detail {
namespace {

class TreeModelImpl final : public CompiledModel {
public:
    enum class Missing : std::uint8_t {
        none,
        last_prediction,
        null_prediction,
        default_child,
        weighted_confidence,
        aggregate_nodes
    };

    struct Node {
        enum Kind : std::uint8_t { direct, numeric, category, always, never, generic };
        union {
            double value = 0.0;  ///< direct/numeric: the constant compared against
            std::uint64_t bits;  ///< category: the set of category indexes that make it true
        };
        std::int32_t arg = -1;  ///< numeric: slot; generic: index into preds
        std::int32_t first_child = 0;
        std::int32_t payload = -1;  ///< class index, or index into scores_; -1: no score
        std::uint16_t n_children = 0;
        Kind kind = always;
        /// numeric: bit 0 equal, bit 1 greater, bit 2 less; bit 3 true if missing; bit 7: binary split
        std::uint8_t mask = 0;
    };
    /// Set on a node whose two children test one direct input against one value with complementary
    /// operators (x <= t / x > t): one comparison picks the child.
    static constexpr std::uint8_t binary_split = 0x80;
    /// Set on a node whose two children are complementary category tests on one string input.
    static constexpr std::uint8_t category_split = 0x40;
    /// direct/numeric: the test is "comparison or the input is missing" (true for a missing input).
    static constexpr std::uint8_t true_if_missing = 0x08;
    // The small members first: they take the eight bytes after CompiledModel's members.
    std::uint32_t stride = 0;  ///< categories per distribution row
    Missing missing = Missing::none;
    bool no_true_child_last = false;
    FlatTree flat;  ///< no nodes unless every split is binary (and the root is <True/>)
    /// The per-node arrays, written when the tree is sealed (Build holds them while it compiles) and
    /// packed into one allocation: a tree that needs none of them (most trees of a forest) holds a
    /// null pointer where a vector apiece cost 24 bytes each.
    enum Array : std::size_t {
        a_nodes,          ///< the general nodes; none once the flat form replaces them
        a_scores,         ///< regression scores
        a_inner_payload,  ///< see inner_payload()
        a_missing_child,  ///< see missing_child()
        a_uncovered,      ///< see uncovered()
        a_default_child,  ///< per node (defaultChild strategy only)
        a_dist,           ///< per node: row in probs/counts/confidences, or -1
        a_probs,          ///< rows of `stride` probabilities
        a_counts,         ///< rows of `stride` record counts (aggregateNodes)
        a_confidences,    ///< rows of `stride`; empty when none is given
        a_record_count,   ///< per node (weightedConfidence only)
        a_penalty         ///< missingValuePenalty, when it is not 1
    };
    PackedArrays<Node, double, std::int32_t, std::int8_t, std::uint64_t, std::int32_t, std::int32_t, double,
                 double, double, double, double>
        arrays;
    ArrayView<Node> nodes() const noexcept { return arrays.get<a_nodes>(); }
    ArrayView<double> scores() const noexcept { return arrays.get<a_scores>(); }
    /// Flat trees only: per node, the payload of internal nodes, kept only when a strategy can stop
    /// at an internal node (lastPrediction, defaultChild, returnLastPrediction); leaves hold
    /// theirs.
    ArrayView<std::int32_t> inner_payload() const noexcept { return arrays.get<a_inner_payload>(); }
    /// Flat trees only: per node, the child a missing input goes to: 0 or 1 when that child tests
    /// "... or the input is missing", 2 for a third child testing isMissing; else_child when the
    /// second child is <True/>; -1: none. Empty when no split has one.
    ArrayView<std::int8_t> missing_child() const noexcept { return arrays.get<a_missing_child>(); }
    /// missing_child: the second child is <True/>, so it is true for every record the first child
    /// cannot decide (a missing input, or an invalid one taken as is), not only for missing inputs.
    static constexpr std::int8_t else_child = 3;
    /// Flat trees only: per node, the category indexes a strict pair of sets sends to neither child
    /// (listed values neither set names); empty when every strict pair names every value. Records
    /// with such a value never reach the walk (Symbols::divert): select_flat stops at that node.
    ArrayView<std::uint64_t> uncovered() const noexcept { return arrays.get<a_uncovered>(); }
    static_assert(sizeof(Node) == 24, "Node is meant to stay 24 bytes");

    /// Node ids, read only by entityId outputs: seal() drops them when the document has none (and
    /// finish() when every id is empty; id_of gives "" then).
    struct Ids {
        std::string chars;               ///< node ids, concatenated
        std::vector<std::uint32_t> end;  ///< per node: end of its id in chars
    };
    /// Only the predicates that are not numeric comparisons (none in most trees; the general walk
    /// reads them, so they are not in `rare`).
    std::unique_ptr<Predicates> preds;

    // Compile-time data, released once the tree is sealed.
    struct RawDist {
        int node;
        std::vector<std::tuple<int, double, double, double>>
            items;  ///< class, count, probability, confidence
    };
    struct Build {
        std::vector<RawDist> raw;
        std::vector<std::string> ids;
        std::vector<std::string> default_ids;
        std::vector<double> counts_tmp;
        std::vector<std::uint8_t> has_conf;  ///< per distribution row, some confidence is given
        /// Per node, the slot its predicate tests with isMissing (-1: another test). A binary split
        /// may have a third child testing that its input is missing (R's gbm writes these).
        std::vector<std::int32_t> missing_test;
        // The arrays (see Array) until seal() packs them.
        std::vector<Node> nodes;
        std::vector<double> scores;
        std::vector<std::int32_t> default_child, dist;
        std::vector<double> probs, counts, confidences, record_count;
        double penalty = 1.0;  ///< missingValuePenalty (kept in `arrays` when it is not 1)
    };
    /// What few trees keep once sealed (node ids), and what every tree holds while it compiles:
    /// one pointer, null for a sealed tree that keeps neither (most trees of a forest).
    struct Rare {
        std::unique_ptr<Ids> id_table;
        std::unique_ptr<Build> build;  ///< until seal()
        /// aggregateNodes / weightedConfidence: the work area of a double per category and one more.
        int work = -1;
    };
    std::unique_ptr<Rare> rare;
    Rare& own_rare() {
        if (!rare) rare = std::make_unique<Rare>();
        return *rare;
    }
    const Ids* id_table() const noexcept { return rare ? rare->id_table.get() : nullptr; }
    /// Drops `rare` once it holds nothing (seal()'s last step).
    void release_rare() {
        if (rare && !rare->id_table && !rare->build && rare->work < 0) rare.reset();
    }
    double penalty() const noexcept {
        const auto p = arrays.get<a_penalty>();
        return p.empty() ? 1.0 : p[0];
    }
    /// Packs the arrays (seal()'s last step): the flat form's and Build's.
    void pack(const std::vector<std::int32_t>& inner_payload, const std::vector<std::int8_t>& missing_child,
              const std::vector<std::uint64_t>& uncovered) {
        Build& bd = *rare->build;
        arrays.assign(bd.nodes, bd.scores, inner_payload, missing_child, uncovered, bd.default_child, bd.dist,
                      bd.probs, bd.counts, bd.confidences, bd.record_count,
                      bd.penalty == 1.0 ? std::vector<double>() : std::vector<double>{bd.penalty});
        flat.scores = scores().data();
    }

    void compile_node(ModelContext& mc, pugi::xml_node xn, int index, int depth);
    void finish(Compiler& c, pugi::xml_node n);
    void seal(const Program& prog) override;

    void finalize(Layout& layout) override {
        if (missing == Missing::aggregate_nodes || missing == Missing::weighted_confidence)
            own_rare().work = layout.add_work(static_cast<int>(categories.size()) + 1);
    }

    std::size_t memory_bytes() const override {
        std::size_t n = own_bytes(*this) + flat.nodes().size() * sizeof(FlatNode) + arrays.memory_bytes();
        if (rare) n += sizeof(Rare);
        if (const Ids* ids = id_table()) n += sizeof(Ids) + heap_bytes(ids->chars) + ids->end.capacity() * 4;
        if (preds) n += sizeof(Predicates) + preds->memory_bytes();
        return n;
    }

    const FlatTree* flat_tree() const override { return flat.nodes().empty() ? nullptr : &flat; }
    std::string walk_summary() const override {
        return flat.nodes().empty() ? "general nodes"
                                    : "flat form (" + std::to_string(flat.nodes().size()) + " nodes)";
    }

    int quick(Ctx& ctx, int& category, double& value) const override {
        if (!flat.nodes().empty() && flat.applies(*ctx.s)) {
            int payload = flat.payload(flat.walk(ctx.s->xs.data(), ctx.s->cats.data()));
            if (payload < 0) return 0;
            if (classification())
                category = payload;
            else
                value = scores()[static_cast<std::size_t>(payload)];
            return 1;
        }
        int penalties = 0;
        bool aggregate = false;
        int k = select(ctx, penalties, aggregate);
        if (aggregate) return -1;
        if (k < 0) return 0;
        int payload = payload_of(k);
        if (payload < 0) return 0;
        if (classification())
            category = payload;
        else
            value = scores()[static_cast<std::size_t>(payload)];
        return 1;
    }

protected:
    void evaluate(Ctx& ctx, ModelResult& r) const override;
    bool fill_node(int k, ModelResult& r) const override {
        if (k < 0 || static_cast<std::size_t>(k) >= direct_nodes()) return false;
        fill_leaf(k, 0, r);
        return true;
    }

public:
    std::size_t direct_nodes() const override {
        return flat.nodes().empty() ? nodes().size() : flat.nodes().size();
    }
    int direct_node(Ctx& ctx) const override {
        int penalties = 0;
        bool aggregate = false;
        int k = select(ctx, penalties, aggregate);
        if (k < 0) return no_node;
        return penalties == 0 && !aggregate ? k : general_path;
    }

private:
    /// A node's own test. Inlined into the walks: GCC's heuristics called it after unrelated
    /// changes to the class (64 more instructions a record on DecisionTreeEnsembleAudit).
    [[gnu::always_inline]] Truth test(Ctx& ctx, const Node& n) const {
        switch (n.kind) {
            case Node::direct: {
                double x = ctx.s->xs[static_cast<std::size_t>(n.arg)];
                if (x != x)
                    return (n.mask & true_if_missing) && ctx.get(n.arg).is_missing() ? Truth::yes
                                                                                     : Truth::unknown;
                int rel = x < n.value ? 4 : (x > n.value ? 2 : 1);
                return (n.mask & rel) ? Truth::yes : Truth::no;
            }
            case Node::category: {
                std::int32_t cat = ctx.s->cats[static_cast<std::size_t>(n.arg)];
                if (cat == -2) return Truth::unknown;
                if (cat < 0 || cat >= 64)
                    return (n.mask & 1) ? Truth::yes : Truth::no;  // not in the set's range
                return ((n.bits >> cat) & 1u) ? Truth::yes : Truth::no;
            }
            case Node::numeric: {
                const Value& v = ctx.get(n.arg);
                if (v.is_number()) {
                    double x = v.as_number();
                    if (x != x) return Truth::unknown;
                    int rel = x < n.value ? 4 : (x > n.value ? 2 : 1);
                    return (n.mask & rel) ? Truth::yes : Truth::no;
                }
                if (v.is_missing()) return (n.mask & true_if_missing) ? Truth::yes : Truth::unknown;
                return Truth::unknown;  // a string where a number is expected
            }
            case Node::always:
                return Truth::yes;
            case Node::never:
                return Truth::no;
            case Node::generic:
                break;
        }
        return preds->eval(ctx, n.arg);
    }
    /// Class or score index of node k (-1: none).
    int payload_of(int k) const {
        if (flat.nodes().empty()) return nodes()[static_cast<std::size_t>(k)].payload;
        if (flat.nodes()[static_cast<std::size_t>(k)].slot_flags & FlatNode::leaf) return flat.payload(k);
        const auto inner = inner_payload();
        return inner.empty() ? -1 : inner[static_cast<std::size_t>(k)];
    }
    /// Where internal flat node k sends this record: its first or second child, or neither because
    /// the input is missing (unknown), or because it is a string no set of a strict split lists.
    enum Way : int { first_child = 0, second_child = 1, unknown_way = 2, no_child = 3 };
    int decide(int k, const double* xs, const std::int32_t* cats) const {
        const FlatNode& f = flat.nodes()[static_cast<std::size_t>(k)];
        auto slot = static_cast<std::size_t>(f.slot_flags >> 4);
        if (f.slot_flags & FlatNode::category) {
            std::int32_t c = cats[slot];
            if (c == -2) return unknown_way;
            if (f.slot_flags & FlatNode::strict) {
                if (c == -1) return no_child;
                const auto left_out = uncovered();
                if (!left_out.empty() && c < 63 && ((left_out[static_cast<std::size_t>(k)] >> c) & 1u))
                    return no_child;
            }
        } else if (!(xs[slot] == xs[slot])) {
            return unknown_way;
        }
        return FlatTree::step<>(f, xs, cats) - f.next;
    }
    /// For an internal flat node whose decision is unknown: the child that takes a missing input
    /// (see missing_child) when the input is missing, or the second child when it is <True/>, else
    /// -1.
    int missing_goes(Ctx& ctx, int k) const {
        const auto takes = missing_child();
        if (takes.empty()) return -1;
        int to = takes[static_cast<std::size_t>(k)];
        if (to == else_child) return 1;
        if (to < 0 || !ctx.get(flat.nodes()[static_cast<std::size_t>(k)].slot_flags >> 4).is_missing())
            return -1;
        return to;
    }
    /// Children 0 and 1 of n can form a binary split: n has two children, or a third one that tests
    /// the first child's input with isMissing (compile time, until seal).
    bool split_shape(const Node& n) const {
        if (n.n_children == 2) return true;
        if (n.n_children != 3) return false;
        const Build& bd = *rare->build;
        int slot = bd.nodes[static_cast<std::size_t>(n.first_child)].arg;
        return slot >= 0 && bd.missing_test[static_cast<std::size_t>(n.first_child) + 2] == slot;
    }
    /// n has exactly two children and the second is <True/>: a catch-all "else" for the first.
    bool true_else(const Node& n) const {
        return n.n_children == 2 &&
               rare->build->nodes[static_cast<std::size_t>(n.first_child) + 1].kind == Node::always;
    }
    int select(Ctx& ctx, int& penalties, bool& aggregate) const;
    int select_flat(Ctx& ctx, int& penalties, bool& aggregate) const;
    bool unknown_at(int cur, int& next, int& penalties, bool& aggregate, int& answer) const;
    void collect(Ctx& ctx, int k, double weight, double* acc) const;
    void collect_flat(Ctx& ctx, int k, double weight, double* acc) const;
    double child_weight(double weight, double parent, int kid) const;
    void add_leaf(int k, double weight, double* acc) const;
    void fill_leaf(int k, int penalties, ModelResult& r) const;
    std::string_view id_of(int k) const {
        const Ids* ids = id_table();
        if (!ids) return {};
        auto i = static_cast<std::size_t>(k);
        std::uint32_t begin = i ? ids->end[i - 1] : 0;
        return std::string_view(ids->chars).substr(begin, ids->end[i] - begin);
    }
};

std::uint8_t mask_of(Predicates::Op op) {
    switch (op) {
        case Predicates::Op::equal:
            return 1;
        case Predicates::Op::not_equal:
            return 6;
        case Predicates::Op::less:
            return 4;
        case Predicates::Op::less_equal:
            return 5;
        case Predicates::Op::greater:
            return 2;
        case Predicates::Op::greater_equal:
            return 3;
        default:
            return 0;
    }
}

void TreeModelImpl::compile_node(ModelContext& mc, pugi::xml_node xn, int index, int depth) {
    auto& c = mc.c;
    if (depth > c.limits.max_depth)
        c.invalid(xn, "tree nested deeper than " + std::to_string(c.limits.max_depth) + " levels");
    pugi::xml_node pred_node;
    std::vector<pugi::xml_node> kids;
    std::vector<pugi::xml_node> dists;
    for (auto k : xn.children()) {
        if (k.type() != pugi::node_element) continue;
        auto kn = Compiler::name_of(k);
        if (kn == "Node")
            kids.push_back(k);
        else if (kn == "ScoreDistribution")
            dists.push_back(k);
        else if (kn == "Extension" || kn == "Partition")
            continue;
        else if (kn == "Regression" || kn == "DecisionTree")
            c.unsupported(k, "embedded models in tree nodes are not supported");
        else if (!pred_node)
            pred_node = k;
    }
    if (!pred_node) c.parse_fail(xn, "Node without a predicate");
    Node n;
    auto pn = Compiler::name_of(pred_node);
    bool done = false;
    // A numeric comparison (SimplePredicate) on a numeric input, tested inline: fills n.
    auto comparison = [&](pugi::xml_node sp) {
        int slot = c.resolve_slot(mc.scope, c.required(sp, "field"), sp);
        auto op = c.required(sp, "operator");
        Predicates::Op o = Predicates::Op::is_missing;
        if (op == "equal")
            o = Predicates::Op::equal;
        else if (op == "notEqual")
            o = Predicates::Op::not_equal;
        else if (op == "lessThan")
            o = Predicates::Op::less;
        else if (op == "lessOrEqual")
            o = Predicates::Op::less_equal;
        else if (op == "greaterThan")
            o = Predicates::Op::greater;
        else if (op == "greaterOrEqual")
            o = Predicates::Op::greater_equal;
        double x;
        DataType t = c.slot_type(slot);
        if (o != Predicates::Op::is_missing && is_numeric(t) && t != DataType::boolean &&
            parse_double(c.attr(sp, "value"), x)) {
            n.kind = c.is_direct(slot) ? Node::direct : Node::numeric;
            n.arg = slot;
            n.value = x;
            n.mask = mask_of(o);
            return true;
        }
        return false;
    };
    if (pn == "True") {
        n.kind = Node::always;
        done = true;
    } else if (pn == "False") {
        n.kind = Node::never;
        done = true;
    } else if (pn == "SimplePredicate") {
        done = comparison(pred_node);
    } else if (pn == "CompoundPredicate" && c.attr(pred_node, "booleanOperator") == "or") {
        // "x <op> t or x is missing" (how KNIME sends missing values down one side of a split): the
        // comparison, made true for a missing input.
        std::vector<pugi::xml_node> parts;
        for (auto k : pred_node.children())
            if (k.type() == pugi::node_element && Compiler::name_of(k) != "Extension") parts.push_back(k);
        if (parts.size() == 2 && Compiler::name_of(parts[0]) == "SimplePredicate" &&
            Compiler::name_of(parts[1]) == "SimplePredicate") {
            std::size_t m = c.attr(parts[0], "operator") == "isMissing"   ? 0
                            : c.attr(parts[1], "operator") == "isMissing" ? 1
                                                                          : 2;
            if (m < 2) {
                int missing_slot = c.resolve_slot(mc.scope, c.required(parts[m], "field"), parts[m]);
                if (comparison(parts[1 - m]) && n.arg == missing_slot) {
                    n.mask |= true_if_missing;
                    done = true;
                } else {
                    n = Node{};
                }
            }
        }
    }
    if (!done && (pn == "SimpleSetPredicate" || pn == "SimplePredicate")) {
        // Categorical tests on a string input with listed values become a 64-bit set of indexes.
        int slot = c.resolve_slot(mc.scope, c.required(pred_node, "field"), pred_node);
        Symbols* sym = c.symbols(slot);
        if (sym) {
            std::vector<std::string> items;
            bool negate = false, ok = true;
            if (pn == "SimpleSetPredicate") {
                auto op = c.attr(pred_node, "booleanOperator");
                negate = op == "isNotIn";
                ok = negate || op == "isIn";
                auto array = Compiler::child(pred_node, "Array");
                if (ok && array)
                    items = c.array_items(array);
                else
                    ok = false;
            } else {
                auto op = c.attr(pred_node, "operator");
                negate = op == "notEqual";
                ok = (negate || op == "equal") && c.has_attr(pred_node, "value");
                if (ok) items.emplace_back(c.attr(pred_node, "value"));
            }
            // Values never named anywhere in the document look up as -1 ("outside"): they make
            // isIn/equal false and isNotIn/notEqual true, as a string comparison would.
            std::uint64_t bits = 0;
            for (const auto& it : items) {
                int k = sym->intern(it);
                if (k >= 64)
                    ok = false;  // beyond the 64-bit set: keep the general test
                else
                    bits |= std::uint64_t{1} << k;
            }
            if (ok) {
                n.kind = Node::category;
                n.arg = slot;
                n.bits = negate ? ~bits : bits;
                n.mask = negate ? 1 : 0;
                done = true;
            }
        }
    }
    if (!done) {
        n.kind = Node::generic;
        if (!preds) preds = std::make_unique<Predicates>();
        n.arg = preds->compile(c, pred_node, mc.scope, 0);
    }
    Build& bd = *rare->build;
    if (pn == "SimplePredicate" && c.attr(pred_node, "operator") == "isMissing")
        bd.missing_test[static_cast<std::size_t>(index)] =
            c.resolve_slot(mc.scope, c.required(pred_node, "field"), pred_node);
    bd.ids[static_cast<std::size_t>(index)] = std::string(c.attr(xn, "id"));
    bd.default_ids[static_cast<std::size_t>(index)] = std::string(c.attr(xn, "defaultChild"));
    if (missing == Missing::default_child && c.has_attr(xn, "defaultChild")) {
        // Said here, at the Node (finish() checks again against the compiled ids).
        const auto wanted = c.attr(xn, "defaultChild");
        if (std::none_of(kids.begin(), kids.end(),
                         [&](pugi::xml_node k) { return c.attr(k, "id") == wanted; }))
            c.invalid(xn, "defaultChild '" + std::string(wanted) +
                              "' is not the id of one of this Node's children");
    }
    bd.counts_tmp[static_cast<std::size_t>(index)] = c.number(xn, "recordCount", nan_v);
    if (c.has_attr(xn, "score")) {
        auto s = c.attr(xn, "score");
        if (classification()) {
            n.payload = intern_category(s);
        } else {
            double v;
            if (!parse_double(s, v)) c.invalid(xn, "score '" + std::string(s) + "' is not a number");
            n.payload = static_cast<std::int32_t>(bd.scores.size());
            bd.scores.push_back(float_math ? static_cast<double>(static_cast<float>(v)) : v);
        }
    }
    if (!dists.empty() && classification()) {
        RawDist rd;
        rd.node = index;
        for (auto d : dists) {
            int cat = intern_category(c.required(d, "value"));
            const double count = c.number(d, "recordCount", nan_v),
                         probability = c.number(d, "probability", nan_v),
                         confidence = c.number(d, "confidence", nan_v);
            // Absent ones are NaN; given ones must make sense (a negative count or a probability of
            // 7 would be passed on as they are).
            if (c.has_attr(d, "recordCount") && !(count >= 0))
                c.invalid(d, "recordCount '" + std::string(c.attr(d, "recordCount")) + "' is not a count");
            for (const auto& [attr_name, v] :
                 {std::pair<const char*, double>{"probability", probability}, {"confidence", confidence}})
                if (c.has_attr(d, attr_name) && !(v >= 0 && v <= 1))
                    c.invalid(d, std::string(attr_name) + " '" + std::string(c.attr(d, attr_name)) +
                                     "' is not between 0 and 1");
            rd.items.emplace_back(cat, count, probability, confidence);
        }
        bd.raw.push_back(std::move(rd));
    }
    if (kids.size() > 65535) c.invalid(xn, "more than 65535 child nodes");
    if (bd.nodes.size() + kids.size() > c.limits.max_elements) c.invalid(xn, "tree too large");
    auto first = static_cast<std::int32_t>(bd.nodes.size());
    n.first_child = first;
    n.n_children = static_cast<std::uint16_t>(kids.size());
    bd.nodes[static_cast<std::size_t>(index)] = n;
    bd.nodes.resize(bd.nodes.size() + kids.size());
    bd.ids.resize(bd.nodes.size());
    bd.default_ids.resize(bd.nodes.size());
    bd.counts_tmp.resize(bd.nodes.size(), nan_v);
    bd.missing_test.resize(bd.nodes.size(), -1);
    for (std::size_t i = 0; i < kids.size(); ++i)
        compile_node(mc, kids[i], first + static_cast<int>(i), depth + 1);
}

void TreeModelImpl::finish(Compiler& c, pugi::xml_node tree) {
    std::size_t nc = categories.size();
    stride = static_cast<std::uint32_t>(nc);
    Build& bd = *rare->build;
    auto& nodes = bd.nodes;
    std::size_t total_nodes = nodes.size();
    auto& dist = bd.dist;
    auto& probs_ = bd.probs;
    auto& counts_ = bd.counts;
    auto& confidences_ = bd.confidences;
    auto& has_conf_ = bd.has_conf;
    auto& ids = bd.ids;
    auto& default_ids = bd.default_ids;
    dist.assign(bd.raw.empty() ? 0 : total_nodes, -1);
    // A row of nc values per node with a ScoreDistribution, in up to three tables: a document of
    // a few hundred KB (thousands of nodes, a target of thousands of values) could ask for GBs.
    if (!bd.raw.empty() && bd.raw.size() * nc > c.limits.max_array)
        c.invalid(tree, std::to_string(bd.raw.size()) + " nodes with a ScoreDistribution over " +
                            std::to_string(nc) + " target categories: more than " +
                            std::to_string(c.limits.max_array) + " values in a table");
    for (auto& rd : bd.raw) {
        auto row = static_cast<std::int32_t>(has_conf_.size());
        probs_.resize(probs_.size() + nc, 0.0);
        confidences_.resize(confidences_.size() + nc, nan_v);
        if (missing == Missing::aggregate_nodes) counts_.resize(counts_.size() + nc, 0.0);
        double* p = probs_.data() + static_cast<std::size_t>(row) * nc;
        double* cf = confidences_.data() + static_cast<std::size_t>(row) * nc;
        bool explicit_p = true;
        double total = 0;
        for (auto& [cat, count, prob, conf] : rd.items) {
            if (std::isnan(prob)) explicit_p = false;
            if (!std::isnan(count)) total += count;
        }
        bool conf_any = false;
        for (auto& [cat, count, prob, conf] : rd.items) {
            auto ci = static_cast<std::size_t>(cat);
            if (explicit_p)
                p[ci] = prob;
            else if (total > 0 && !std::isnan(count))
                p[ci] = count / total;
            if (missing == Missing::aggregate_nodes && !std::isnan(count))
                counts_[static_cast<std::size_t>(row) * nc + ci] = count;
            if (!std::isnan(conf)) {
                cf[ci] = conf;
                conf_any = true;
            }
        }
        has_conf_.push_back(conf_any ? 1 : 0);
        dist[static_cast<std::size_t>(rd.node)] = row;
        Node& n = nodes[static_cast<std::size_t>(rd.node)];
        if (n.payload < 0) {
            int best = -1;
            for (std::size_t i = 0; i < nc; ++i)
                if (best < 0 || p[i] > p[static_cast<std::size_t>(best)]) best = static_cast<int>(i);
            n.payload = best;
        }
    }
    if (std::none_of(has_conf_.begin(), has_conf_.end(), [](auto b) { return b != 0; })) {
        confidences_.clear();  // its capacity goes with the shrink below
    } else {
        // Confidences not given default to the probabilities: resolved once here.
        for (std::size_t k = 0; k < confidences_.size(); ++k)
            if (std::isnan(confidences_[k])) confidences_[k] = probs_[k];
    }
    if (float_math) {
        for (double& p : probs_) p = static_cast<double>(static_cast<float>(p));
        for (double& p : confidences_) p = static_cast<double>(static_cast<float>(p));
    }
    // ids, packed
    auto& id_table = rare->id_table;
    id_table = std::make_unique<Ids>();
    id_table->end.resize(total_nodes);
    for (std::size_t i = 0; i < total_nodes; ++i) {
        id_table->chars += ids[i];
        id_table->end[i] = static_cast<std::uint32_t>(id_table->chars.size());
    }
    if (missing == Missing::default_child) {
        auto& default_child = bd.default_child;
        default_child.assign(total_nodes, -1);
        for (std::size_t i = 0; i < total_nodes; ++i) {
            if (default_ids[i].empty()) continue;
            const Node& n = nodes[i];
            for (int k = n.first_child; k < n.first_child + n.n_children; ++k)
                if (ids[static_cast<std::size_t>(k)] == default_ids[i]) default_child[i] = k;
            if (default_child[i] < 0)
                c.invalid(tree, "defaultChild '" + default_ids[i] + "' of node '" + ids[i] +
                                    "' is not one of its children");
        }
    }
    if (missing == Missing::weighted_confidence) bd.record_count = bd.counts_tmp;
    // Ids that are all empty need no table (id_of gives "" then).
    if (id_table->chars.empty()) {
        id_table.reset();
    } else {
        id_table->end.shrink_to_fit();
        id_table->chars.shrink_to_fit();
    }
    for (auto& n : nodes) {
        if (!split_shape(n)) continue;
        const Node& a = nodes[static_cast<std::size_t>(n.first_child)];
        const Node& b = nodes[static_cast<std::size_t>(n.first_child) + 1];
        bool complementary =
            b.kind == Node::direct && a.arg == b.arg && a.value == b.value && ((a.mask ^ b.mask) & 7) == 7;
        // "x <op> t", else <True/>: x goes to the first child when the comparison holds, else to
        // the second. (A first child also true for a missing x is left to the general nodes.)
        bool otherwise = true_else(n) && !(a.mask & true_if_missing);
        if (a.kind == Node::direct && (complementary || otherwise)) n.mask |= binary_split;
    }
}

/// Runs once the whole document is compiled, when every string input's interned strings are known:
/// marks category splits that send every value to exactly one child and builds the flat form.
void TreeModelImpl::seal(const Program& prog) {
    if (!rare || !rare->build) return;  // sealed already
    Build& build = *rare->build;
    // Nobody reads the distributions of a tree whose prediction alone is read, unless its
    // missing-value strategy weighs them to choose the prediction.
    if (prediction_only && missing != Missing::weighted_confidence && missing != Missing::aggregate_nodes) {
        build.dist = {};
        build.probs = {};
        build.counts = {};
        build.confidences = {};
    }
    auto& nodes = build.nodes;
    std::vector<std::int8_t> missing_child;
    // Node ids reach a record's result only for entityId outputs (of this tree or of a segmentation
    // passing its segment's id on): without one in the document nobody reads them.
    if (std::none_of(prog.outputs.begin(), prog.outputs.end(),
                     [](const auto& o) { return o->feature == OutputDef::Feature::entity_id; }))
        rare->id_table.reset();
    auto symbol_count = [&](int slot) -> std::size_t {
        auto i = static_cast<std::size_t>(slot);
        return i < prog.symbols.size() && prog.symbols[i] ? prog.symbols[i]->size() : 0;
    };
    std::vector<std::uint8_t> strict(nodes.size(), 0);
    std::vector<std::uint64_t> left_out(nodes.size(), 0);  // per strict pair: indexes neither set lists
    for (std::size_t k = 0; k < nodes.size(); ++k) {
        Node& n = nodes[k];
        if (!split_shape(n)) continue;
        const Node& a = nodes[static_cast<std::size_t>(n.first_child)];
        const Node& b = nodes[static_cast<std::size_t>(n.first_child) + 1];
        if (a.kind == Node::category && true_else(n)) {
            // a set test, else <True/>: every string goes to exactly one child
            n.mask |= category_split;
            continue;
        }
        if (a.kind != Node::category || b.kind != Node::category || a.arg != b.arg) continue;
        if ((a.bits ^ b.bits) == ~std::uint64_t{0} && ((a.mask ^ b.mask) & 1) == 1) {
            // complementary everywhere, strings the document never names included
            n.mask |= category_split;
            continue;
        }
        std::size_t nsym = symbol_count(a.arg);
        if (nsym <= 63 && !(a.mask & 1) && !(b.mask & 1) && (a.bits & b.bits) == 0) {
            // Two disjoint listed sets: the first set's strings go first, the second set's second.
            // Strings neither lists (unlisted ones, and strings the document names elsewhere) go to
            // no child: such records take the general path.
            n.mask |= category_split;
            strict[k] = 1;
            left_out[k] = ((std::uint64_t{1} << nsym) - 1) & ~(a.bits | b.bits);
        }
    }
    // The flat form: every internal node a binary split the walk can decide with one comparison or
    // one set lookup, on inputs load_inputs mirrors into EvalScratch::xs / cats.
    flat = FlatTree{};
    bool ok = !nodes.empty() && nodes[0].kind == Node::always && nodes.size() < (1u << 27);
    auto mirrored = [&](int slot) { return prog.mirrored(slot) && slot < (1 << 26); };
    std::vector<FlatNode> out(ok ? nodes.size() : 0);
    flat.narrow = true;  // until a category split reads an input of more than set_bits strings
    for (std::size_t i = 0; ok && i < nodes.size(); ++i) {
        const Node& n = nodes[i];
        if (n.n_children == 0) {
            out[i] = FlatNode::make_leaf(n.payload);
            continue;
        }
        if (!split_shape(n) || !(n.mask & (binary_split | category_split))) {
            ok = false;
            break;
        }
        const Node& left = nodes[static_cast<std::size_t>(n.first_child)];
        const std::int32_t kids = n.first_child - static_cast<std::int32_t>(i);  // the offset
        if (!mirrored(left.arg)) {
            ok = false;
            break;
        }
        std::uint64_t bit = std::uint64_t{1} << (left.arg & 63);
        flat.used |= bit;
        const Node& right = nodes[static_cast<std::size_t>(n.first_child) + 1];
        int takes_missing = n.n_children == 3                ? 2
                            : (left.mask & true_if_missing)  ? 0
                            : (right.mask & true_if_missing) ? 1
                            : right.kind == Node::always     ? else_child
                                                             : -1;
        if (takes_missing >= 0) {
            if (missing_child.empty()) missing_child.assign(nodes.size(), -1);
            missing_child[i] = static_cast<std::int8_t>(takes_missing);
        }
        if (n.mask & category_split) {
            // Indexes from set_bits up test bit 63, which stands for strings no set lists: none of
            // them may be a listed category itself (and a strict pair, which sends unlisted strings
            // to neither child, must have no such index).
            constexpr std::size_t set_bits = FlatNode::set_bits;
            std::uint64_t listed = (left.mask & 1) ? ~left.bits : left.bits;
            if ((listed >> set_bits) != 0 || (strict[i] && symbol_count(left.arg) > set_bits)) {
                ok = false;
                break;
            }
            if (symbol_count(left.arg) > set_bits) flat.narrow = false;
            std::uint64_t bits = (left.bits & ((std::uint64_t{1} << set_bits) - 1)) | FlatNode::set_nan |
                                 (static_cast<std::uint64_t>(left.mask & 1) << 63);
            FlatNode f{0.0, (left.arg << 4) | FlatNode::category, kids};
            std::memcpy(&f.value, &bits, sizeof bits);
            if (strict[i]) {
                f.slot_flags |= FlatNode::strict;
                flat.strict |= bit;
            }
            out[i] = f;
            continue;
        }
        double t = left.value;
        if (!std::isfinite(t)) {
            ok = false;
            break;
        }
        double below = std::nextafter(t, -HUGE_VAL);
        switch (left.mask & 7) {
            case 5:  // x <= t
                out[i] = FlatNode{t, left.arg << 4, kids};
                break;
            case 4:  // x < t
                out[i] = FlatNode{below, left.arg << 4, kids};
                break;
            case 2:  // x > t
                out[i] = FlatNode{t, (left.arg << 4) | FlatNode::flip, kids};
                break;
            case 3:  // x >= t
                out[i] = FlatNode{below, (left.arg << 4) | FlatNode::flip, kids};
                break;
            default:  // equal / notEqual
                ok = false;
                break;
        }
    }
    if (!ok) {
        flat = FlatTree{};
        pack({}, {}, {});
        rare->build.reset();
        release_rare();
        return;
    }
    flat.set_nodes(out);
    // Indexes a strict pair leaves out divert records from the walk (as unlisted strings do).
    std::vector<std::uint64_t> uncovered;
    if (std::any_of(left_out.begin(), left_out.end(), [](std::uint64_t b) { return b != 0; })) {
        uncovered = std::move(left_out);
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            if (!uncovered[i]) continue;
            int slot = nodes[static_cast<std::size_t>(nodes[i].first_child)].arg;
            prog.symbols[static_cast<std::size_t>(slot)]->divert |= uncovered[i];
        }
    }
    flat.numeric =
        flat.strict == 0 && std::none_of(flat.nodes().begin(), flat.nodes().end(), [](const FlatNode& f) {
            return (f.slot_flags & (FlatNode::category | FlatNode::leaf)) == FlatNode::category;
        });
    // The general nodes are no longer read: select_flat applies the strategies on the flat form.
    std::vector<std::int32_t> inner_payload;
    if (missing == Missing::last_prediction || missing == Missing::default_child || no_true_child_last) {
        inner_payload.resize(nodes.size());
        for (std::size_t i = 0; i < nodes.size(); ++i) inner_payload[i] = nodes[i].payload;
    }
    nodes.clear();
    pack(inner_payload, missing_child, uncovered);
    rare->build.reset();
    preds.reset();  // only isMissing tests of third children can be left: missing_child stands for them
    release_rare();
}

/// Returns the selected node (-1: no prediction); sets `aggregate` when a missing value under the
/// aggregateNodes/weightedConfidence strategies requires visiting several leaves.
int TreeModelImpl::select(Ctx& ctx, int& penalties, bool& aggregate) const {
    if (!flat.nodes().empty()) {
        if (flat.applies(*ctx.s)) return flat.walk(ctx.s->xs.data(), ctx.s->cats.data());
        return select_flat(ctx, penalties, aggregate);
    }
    const auto nodes = this->nodes();
    if (nodes.empty()) return -1;
    if (test(ctx, nodes[0]) != Truth::yes) return -1;
    int cur = 0;
    const double* xs = ctx.s->xs.data();
    const Node* all = nodes.data();
    for (;;) {
        const Node& n = all[cur];
        if (n.mask & binary_split) {
            const Node& left = all[n.first_child];
            double x = xs[left.arg];
            if (x == x) {
                int rel = x < left.value ? 4 : (x > left.value ? 2 : 1);
                cur = n.first_child + ((left.mask & rel) ? 0 : 1);
                continue;
            }
        }
        if (n.n_children == 0) return cur;
        int next = -1;
        const Node* kids = nodes.data() + n.first_child;
        for (int i = 0; i < n.n_children; ++i) {
            Truth t = test(ctx, kids[i]);
            if (t == Truth::yes) {
                next = n.first_child + i;
                break;
            }
            if (t == Truth::unknown) {
                if (missing == Missing::none) continue;
                int answer = -1;
                if (!unknown_at(cur, next, penalties, aggregate, answer)) return answer;
                break;
            }
        }
        if (next < 0) return no_true_child_last ? cur : -1;
        cur = next;
    }
}

/// The general walk on the flat form, for records with a missing input or an unlisted string on a
/// strict split: the same steps as the walk on the general nodes, one binary decision per node.
int TreeModelImpl::select_flat(Ctx& ctx, int& penalties, bool& aggregate) const {
    const double* xs = ctx.s->xs.data();
    const std::int32_t* cats = ctx.s->cats.data();
    const FlatNode* all = flat.nodes().data();
    int cur = 0;
    for (;;) {
        const FlatNode& f = all[cur];
        if (f.slot_flags & FlatNode::leaf) return cur;
        int way = decide(cur, xs, cats);
        if (way <= second_child) {
            cur += f.next + way;
            continue;
        }
        if (way == no_child) return no_true_child_last ? cur : -1;
        // "... or x is missing" on the first child, or on a later one (the second, or a third
        // isMissing child) when the first child's unknown is skipped (strategy none): that child is
        // true. A second child that is <True/> is true whatever made the first one unknown.
        int to = missing_goes(ctx, cur);
        if (to == 0 || (to > 0 && missing == Missing::none)) {
            cur += f.next + to;
            continue;
        }
        // The first child is unknown (and the second too unless it is <True/>).
        if (missing == Missing::none) return no_true_child_last ? cur : -1;
        int answer = -1;
        if (!unknown_at(cur, cur, penalties, aggregate, answer)) return answer;
    }
}

/// A child's predicate at node `cur` is unknown and the strategy is not `none` (the walks handle that
/// one, which goes on to the next child): true when the walk goes on at `next` (defaultChild), false
/// when it ends with `answer` (a node, or -1 for no prediction).
bool TreeModelImpl::unknown_at(int cur, int& next, int& penalties, bool& aggregate, int& answer) const {
    switch (missing) {
        case Missing::default_child: {
            int d = arrays.get<a_default_child>()[static_cast<std::size_t>(cur)];
            if (d < 0) break;
            next = d;
            ++penalties;
            return true;
        }
        case Missing::weighted_confidence:
        case Missing::aggregate_nodes:
            aggregate = true;
            break;
        case Missing::null_prediction:
        case Missing::none:
            answer = -1;
            return false;
        case Missing::last_prediction:
            break;
    }
    answer = cur;
    return false;
}

/// Adds leaf k's record counts (aggregateNodes) or probabilities (weightedConfidence), weighted.
void TreeModelImpl::add_leaf(int k, double weight, double* acc) const {
    const auto dist = arrays.get<a_dist>();
    int row = dist.empty() ? -1 : dist[static_cast<std::size_t>(k)];
    if (row < 0) return;
    std::size_t nc = stride;
    const double* src =
        (missing == Missing::aggregate_nodes ? arrays.get<a_counts>() : arrays.get<a_probs>()).data() +
        static_cast<std::size_t>(row) * nc;
    for (std::size_t i = 0; i < nc; ++i) acc[i] += weight * src[i];
}

/// What a child of a node with `parent` records carries of `weight` when the walk aggregates:
/// under weightedConfidence its own recordCount's share, otherwise all of it.
double TreeModelImpl::child_weight(double weight, double parent, int kid) const {
    if (missing != Missing::weighted_confidence) return weight;
    double cnt = arrays.get<a_record_count>()[static_cast<std::size_t>(kid)];
    if (!(parent > 0) || std::isnan(cnt)) fail("weightedConfidence needs recordCount on every node");
    return weight * (cnt / parent);
}

/// collect() on the flat form: a missing input makes both children unknown, unless a child takes
/// missing values or the second is <True/> (missing_child).
void TreeModelImpl::collect_flat(Ctx& ctx, int k, double weight, double* acc) const {
    const FlatNode& f = flat.nodes()[static_cast<std::size_t>(k)];
    if (f.slot_flags & FlatNode::leaf) {
        add_leaf(k, weight, acc);
        return;
    }
    int way = decide(k, ctx.s->xs.data(), ctx.s->cats.data());
    if (way <= second_child) {
        collect_flat(ctx, k + f.next + way, weight, acc);
        return;
    }
    if (way == no_child) return;
    int to = missing_goes(ctx, k);
    if (to >= 0) {  // that child is true: the other one is not visited
        collect_flat(ctx, k + f.next + to, weight, acc);
        return;
    }
    const auto record_count = arrays.get<a_record_count>();
    double parent = record_count.empty() ? nan_v : record_count[static_cast<std::size_t>(k)];
    for (int kid = k + f.next; kid <= k + f.next + 1; ++kid) {
        double w = child_weight(weight, parent, kid);
        collect_flat(ctx, kid, w, acc);
    }
}

/// aggregateNodes / weightedConfidence: visit every child that is true or unknown and accumulate
/// the leaves' record counts (aggregateNodes) or weighted probabilities (weightedConfidence).
void TreeModelImpl::collect(Ctx& ctx, int k, double weight, double* acc) const {
    if (!flat.nodes().empty()) {
        collect_flat(ctx, k, weight, acc);
        return;
    }
    const auto nodes = this->nodes();
    const Node& n = nodes[static_cast<std::size_t>(k)];
    if (n.n_children == 0) {
        add_leaf(k, weight, acc);
        return;
    }
    bool any = false;
    for (int i = 0; i < n.n_children; ++i) {
        int kid = n.first_child + i;
        Truth t = test(ctx, nodes[static_cast<std::size_t>(kid)]);
        if (t == Truth::yes) {
            collect(ctx, kid, weight, acc);
            return;
        }
        if (t == Truth::unknown) any = true;
    }
    if (!any) return;
    const auto record_count = arrays.get<a_record_count>();
    double parent = record_count.empty() ? nan_v : record_count[static_cast<std::size_t>(k)];
    for (int i = 0; i < n.n_children; ++i) {
        int kid = n.first_child + i;
        if (test(ctx, nodes[static_cast<std::size_t>(kid)]) != Truth::unknown) continue;
        double w = child_weight(weight, parent, kid);
        collect(ctx, kid, w, acc);
    }
}

void TreeModelImpl::evaluate(Ctx& ctx, ModelResult& r) const {
    int penalties = 0;
    bool aggregate = false;
    int k = select(ctx, penalties, aggregate);
    if (k < 0) return;
    if (aggregate) {
        std::size_t nc = stride;
        double* acc = ctx.work(rare->work);
        std::fill(acc, acc + nc, 0.0);
        collect(ctx, k, 1.0, acc);
        double total = 0;
        for (std::size_t i = 0; i < nc; ++i) total += acc[i];
        if (!(total > 0)) return;
        for (std::size_t i = 0; i < nc; ++i)
            r.probs[i] = missing == Missing::aggregate_nodes ? acc[i] / total : acc[i];
        r.has_probs = true;
        pick_best(r);
        return;
    }
    fill_leaf(k, penalties, r);
}

/// The result of a walk that ends at node k after `penalties` defaultChild steps (evaluate's tail;
/// result_at uses it for the values the direct plan writes per node).
void TreeModelImpl::fill_leaf(int k, int penalties, ModelResult& r) const {
    int payload = payload_of(k);
    r.entity_id = id_of(k);
    if (payload < 0) return;
    if (!classification()) {
        r.value = Value::number(scores()[static_cast<std::size_t>(payload)]);
        return;
    }
    r.category = payload;
    r.value = category_value(payload);
    const auto dist = arrays.get<a_dist>();
    int row = dist.empty() ? -1 : dist[static_cast<std::size_t>(k)];
    if (row < 0) return;
    std::size_t nc = stride;
    const double* p = arrays.get<a_probs>().data() + static_cast<std::size_t>(row) * nc;
    std::copy(p, p + nc, r.probs.begin());
    r.has_probs = true;
    const auto confidences = arrays.get<a_confidences>();
    const double* cf = confidences.empty() ? p : confidences.data() + static_cast<std::size_t>(row) * nc;
    if (penalties) {
        double factor = std::pow(penalty(), penalties);
        for (std::size_t i = 0; i < nc; ++i) r.confidences[i] = cf[i] * factor;
    } else {
        std::copy(cf, cf + nc, r.confidences.begin());
    }
    r.has_confidences = true;
}

}  // namespace

std::unique_ptr<CompiledModel> compile_tree_model(ModelContext& mc) {
    auto m = std::make_unique<TreeModelImpl>();
    auto& c = mc.c;
    c.init_model(*m, mc);
    auto n = mc.node;
    auto mvs = c.attr(n, "missingValueStrategy");
    using M = TreeModelImpl::Missing;
    if (mvs.empty() || mvs == "none")
        m->missing = M::none;
    else if (mvs == "lastPrediction")
        m->missing = M::last_prediction;
    else if (mvs == "nullPrediction")
        m->missing = M::null_prediction;
    else if (mvs == "defaultChild")
        m->missing = M::default_child;
    else if (mvs == "weightedConfidence")
        m->missing = M::weighted_confidence;
    else if (mvs == "aggregateNodes")
        m->missing = M::aggregate_nodes;
    else
        c.invalid(n, "unknown missingValueStrategy '" + std::string(mvs) + "'");
    if ((m->missing == M::weighted_confidence || m->missing == M::aggregate_nodes) && !m->classification())
        c.unsupported(n, "missingValueStrategy '" + std::string(mvs) + "' needs a classification tree");
    auto ntc = c.attr(n, "noTrueChildStrategy");
    if (ntc.empty() || ntc == "returnNullPrediction")
        m->no_true_child_last = false;
    else if (ntc == "returnLastPrediction")
        m->no_true_child_last = true;
    else
        c.invalid(n, "unknown noTrueChildStrategy '" + std::string(ntc) + "'");
    const double penalty = c.number(n, "missingValuePenalty", 1.0);
    auto root = Compiler::child(n, "Node");
    if (!root) c.parse_fail(n, "TreeModel without a Node");
    auto& build = m->own_rare().build;
    build = std::make_unique<TreeModelImpl::Build>();
    build->nodes.resize(1);
    build->ids.resize(1);
    build->default_ids.resize(1);
    build->counts_tmp.resize(1, nan_v);
    build->missing_test.resize(1, -1);
    build->penalty = penalty;
    m->compile_node(mc, root, 0, 0);
    m->finish(c, n);
    return m;
}

}  // namespace scorestream::pmml::detail
