#pragma once
// The interface between the framework and the model families. Every family (TreeModel,
// RegressionModel, MiningModel, GeneralRegressionModel, NeuralNetwork, RuleSetModel,
// AssociationModel, Scorecard, NearestNeighborModel, SupportVectorMachineModel, NaiveBayesModel,
// ClusteringModel) derives CompiledModel and implements evaluate(); the framework runs Targets
// post-processing and computes Output fields.

#include "core.hpp"

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace pugi {
class xml_node;
}

namespace scorestream::pmml::detail {

class Compiler;
struct OutputDef;

/// A class label of a classification model. The text is owned here for the life of the model, so
/// a Value pointing at it stays valid.
struct Category {
    std::string text;
    double number = 0.0;
    bool numeric = false;  ///< the target's dataType is numeric and the text parses as a number
};

/// A model's class labels. Models of one document with equal labels (the trees of a forest) share
/// one table: load() points them at the first equal table it meets, and describe() counts each table
/// once. Reading goes through a cached pointer and size, as from a vector; the non-const accessors
/// (compile time) give the model its own copy first when the table is shared.
class CategoryTable {
public:
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    const Category& operator[](std::size_t i) const noexcept { return data_[i]; }
    const Category* begin() const noexcept { return data_; }
    const Category* end() const noexcept { return data_ + size_; }
    Category& operator[](std::size_t i) { return own().list[i]; }
    void push_back(Category c) {
        own().list.push_back(std::move(c));
        sync();
    }
    /// Label i's displayValue (from Targets, or a cluster's name), "" when it has none: held apart,
    /// as few labels have one.
    std::string_view display(std::size_t i) const noexcept {
        if (!table_ || !table_->display || i >= table_->display->size()) return {};
        return (*table_->display)[i];
    }
    void set_display(std::size_t i, std::string text) {
        auto& d = own().display;
        if (!d)
            d = std::make_shared<std::vector<std::string>>();
        else if (d.use_count() > 1)  // copied with the labels: this table's own from here on
            d = std::make_shared<std::vector<std::string>>(*d);
        if (d->size() <= i) d->resize(i + 1);
        (*d)[i] = std::move(text);
    }
    /// Releases what the table's growth left unused (once the document is compiled, before
    /// anything points at a label).
    void shrink() {
        if (!table_ || table_.use_count() > 1) return;
        table_->list.shrink_to_fit();
        if (table_->display) table_->display->shrink_to_fit();
        sync();
    }
    /// Shares `other`'s labels (equal to these: the caller checks).
    void share(const CategoryTable& other) {
        table_ = other.table_;
        sync();
    }
    /// Identifies the table (nullptr when there are no labels): equal for models that share one.
    const void* id() const noexcept { return table_.get(); }
    /// Heap bytes of the table: the labels and their texts (counted once per table by load()).
    std::size_t memory_bytes() const noexcept {
        if (!table_) return 0;
        std::size_t n = sizeof(*table_) + 16 /* shared count */ + table_->list.capacity() * sizeof(Category);
        for (const auto& c : table_->list) n += c.text.capacity() > 15 ? c.text.capacity() + 1 : 0;
        if (const auto& d = table_->display) {
            n += sizeof(*d) + 16 + d->capacity() * sizeof(std::string);
            for (const auto& t : *d) n += t.capacity() > 15 ? t.capacity() + 1 : 0;
        }
        return n;
    }
    bool operator==(const CategoryTable& other) const {
        if (size_ != other.size_) return false;
        for (std::size_t i = 0; i < size_; ++i) {
            const Category &a = data_[i], &b = other.data_[i];
            if (a.text != b.text || a.numeric != b.numeric || display(i) != other.display(i) ||
                !(a.number == b.number || (a.number != a.number && b.number != b.number)))
                return false;
        }
        return true;
    }

private:
    struct Labels {
        std::vector<Category> list;
        /// By label, up to the last one that has one; null when none has. Copied on write, as the
        /// labels are.
        std::shared_ptr<std::vector<std::string>> display;
    };
    Labels& own() {
        if (!table_)
            table_ = std::make_shared<Labels>();
        else if (table_.use_count() > 1)
            table_ = std::make_shared<Labels>(*table_);
        sync();
        return *table_;
    }
    void sync() noexcept {
        data_ = table_ ? table_->list.data() : nullptr;
        size_ = table_ ? table_->list.size() : 0;
    }
    std::shared_ptr<Labels> table_;
    Category* data_ = nullptr;
    std::size_t size_ = 0;
};

/// Targets/Target post-processing of a model's raw result.
struct TargetPost {
    double factor = 1.0, constant = 0.0;
    double min = -HUGE_VAL, max = HUGE_VAL;
    double default_value = 0.0;
    std::vector<double> priors;  ///< per category; empty when none
    enum class Cast : std::uint8_t { none, round, ceiling, floor } cast = Cast::none;
    bool has_default = false;
};

/// 16-byte node of the flat form of a tree whose every split is binary (the usual R and KNIME
/// output), with every test reduced to "does the record go to the first child". Internal nodes hold
/// (value, slot << 4 | flags, offset from the node to its first child; the second child follows
/// it): a walk moves from node to node without the tree's base address. Numeric splits
/// go first when (x <= value) != flip: x < t is stored as x <= the next double below t, and x > t /
/// x >= t as the flipped forms, which is exact for every number. Category splits hold in `value` a
/// NaN whose bits are the set of category indexes going first: bits 0 to 50 for indexes 0 to 50,
/// bit 63 (the sign) for every string the set does not list; bits 51 to 62 are the NaN's own
/// (set_bits). No number is <= a NaN, so a walk may compute both tests on any node without a
/// wrong "first" from the numeric one (see MiningModelImpl's lockstep walk). A leaf is a flipped
/// numeric test against a NaN, which always goes "first", and its offset is 0: walking on from a
/// leaf stays there, so several trees can be walked in lockstep without a branch per tree. The
/// NaN's low 32 bits hold the leaf's payload (class index or index into the scores; -1 for none).
struct FlatNode {
    /// `strict` marks a category split whose two sets both list values, so a string neither lists
    /// sends the record to no child (the walk does not read it; the general path does).
    /// In this order so that slot_flags >> 2 is slot << 2 | flip << 1 | leaf (the lockstep walk's
    /// index; see MiningModelImpl::masked()).
    static constexpr std::int32_t category = 1, strict = 2, leaf = 4, flip = 8;
    /// The category indexes a set holds one by one (0 to 50); higher ones test bit 63 as unlisted
    /// strings do, so a set may list none of them.
    static constexpr std::uint32_t set_bits = 51;
    /// The bits every set holds: a quiet NaN's exponent and top mantissa bit (bits 51 to 62).
    static constexpr std::uint64_t set_nan = 0x7FF8000000000000ull;
    static FlatNode make_leaf(std::int32_t payload) noexcept {
        std::uint64_t bits = 0x7FF8000000000000ull | static_cast<std::uint32_t>(payload);
        FlatNode n{0.0, leaf | flip, 0};
        std::memcpy(&n.value, &bits, sizeof bits);
        return n;
    }
    double value;
    std::int32_t slot_flags;
    std::int32_t next;  ///< offset to the first child (0: a leaf)
};
static_assert(sizeof(FlatNode) == 16, "FlatNode is meant to stay 16 bytes");

/// A tree in flat form, walked without calls or data-dependent branches per level. It applies only to
/// records on which none of the inputs it reads is missing and (for `strict` inputs, whose unlisted
/// strings and strings neither set of a pair lists need the general path) none is such a string:
/// see EvalScratch::missing_bits and Symbols::divert.
struct FlatTree {
    FlatTree() = default;
    FlatTree(const FlatTree& o) : FlatTree() { *this = o; }
    FlatTree(FlatTree&&) noexcept = default;
    FlatTree& operator=(FlatTree&&) noexcept = default;
    FlatTree& operator=(const FlatTree& o) {
        if (this != &o) {
            set_nodes(o.nodes().begin(), o.nodes().end());
            scores = o.scores;
            used = o.used;
            strict = o.strict;
            numeric = o.numeric;
            narrow = o.narrow;
        }
        return *this;
    }

    /// The nodes; node 0 is the root.
    ArrayView<FlatNode> nodes() const noexcept { return {node_block.get(), node_count}; }
    /// Holds copies of [first, last) as the nodes.
    void set_nodes(const FlatNode* first, const FlatNode* last) {
        const auto n = static_cast<std::size_t>(last - first);
        if (n > UINT32_MAX) throw std::length_error("a flat tree of more than 2^32 nodes");
        node_block.reset(n ? new FlatNode[n] : nullptr);
        if (n) std::memcpy(node_block.get(), first, n * sizeof(FlatNode));
        node_count = static_cast<std::uint32_t>(n);
    }
    void set_nodes(const std::vector<FlatNode>& v) { set_nodes(v.data(), v.data() + v.size()); }

private:
    // One allocation and a 32-bit count (with the two flags below in the same word): 40 bytes a
    // tree where a vector made it 56.
    std::unique_ptr<FlatNode[]> node_block;
    std::uint32_t node_count = 0;

public:
    bool numeric = false;  ///< no category split: walk() compares numbers only
    bool narrow = false;   ///< no category split reads an input of more than FlatNode::set_bits strings
    const double* scores = nullptr;  ///< regression: leaf payload -> score
    std::uint64_t used = 0;          ///< inputs read, as bits (slot & 63)
    std::uint64_t strict = 0;        ///< inputs whose unlisted strings need the general path

    bool applies(const EvalScratch& s) const noexcept {
        return ((s.missing_bits & used) | (s.outside_bits & strict)) == 0;
    }
    /// 1 when a category split's set (the `value` of its FlatNode) holds category index `cat`, else
    /// 0. The unlisted index -1 and indexes from FlatNode::set_bits up test bit 63, which stands for
    /// every string the set does not list (`narrow`: see step()).
    template <bool narrow>
    static std::uint32_t set_holds(const double& set, std::int32_t cat) noexcept {
        auto c = static_cast<std::uint32_t>(cat);
        if (narrow)
            c &= 63u;
        else
            c = c < FlatNode::set_bits ? c : 63u;
        std::uint64_t bits;
        std::memcpy(&bits, &set, sizeof bits);
        return static_cast<std::uint32_t>(bits >> c) & 1u;
    }
    /// The offset from internal node n to the node one level down (0 from a leaf). Both tests are computed
    /// and the node's kind picks one by bit arithmetic: written as a choice, the compiler turns it into a
    /// branch on the kind, which forests mixing numeric and category splits mispredict. `narrow`: no input
    /// read by a category split has more than FlatNode::set_bits strings, so its indexes are -1 to 50 and the
    /// low six bits already send -1 (unlisted) to bit 63 (one mask instead of a clamp).
    template <bool narrow = false>
    static int step(const FlatNode& n, const double* xs, const std::int32_t* cats) noexcept {
        auto slot = static_cast<std::size_t>(n.slot_flags >> 4);
        auto in_set = set_holds<narrow>(n.value, cats[slot]);
        auto below = static_cast<std::uint32_t>(xs[slot] <= n.value);
        auto flags = static_cast<std::uint32_t>(n.slot_flags);
        std::uint32_t category = (flags / FlatNode::category) & 1u;
        std::uint32_t first = ((in_set & category) | (below & ~category)) ^ ((flags / FlatNode::flip) & 1u);
        return n.next + static_cast<int>(first ^ 1u);
    }
    /// step() for a tree without category splits: one comparison (a leaf still steps to itself,
    /// its NaN comparing false and its offset 0).
    static int step_numeric(const FlatNode& n, const double* xs, const std::int32_t* /*cats*/) noexcept {
        bool first = (xs[n.slot_flags >> 4] <= n.value) != ((n.slot_flags & FlatNode::flip) != 0);
        return n.next + (first ? 0 : 1);
    }
    /// The leaf this record reaches (only when applies()).
    int walk(const double* xs, const std::int32_t* cats) const noexcept {
        const FlatNode* all = node_block.get();
        int i = 0;
        if (numeric) {
            while (!(all[i].slot_flags & FlatNode::leaf)) i += step_numeric(all[i], xs, cats);
        } else if (narrow) {
            while (!(all[i].slot_flags & FlatNode::leaf)) i += step<true>(all[i], xs, cats);
        } else {
            while (!(all[i].slot_flags & FlatNode::leaf)) i += step(all[i], xs, cats);
        }
        return i;
    }
    /// The leaf's payload: class index or score index (-1: none).
    int payload(int leaf) const noexcept { return payload_of(node_block[static_cast<std::size_t>(leaf)]); }
    /// The payload of a leaf node.
    static int payload_of(const FlatNode& leaf) noexcept {
        std::uint64_t bits;
        std::memcpy(&bits, &leaf.value, sizeof bits);
        return static_cast<std::int32_t>(static_cast<std::uint32_t>(bits));
    }
};

class CompiledModel {
public:
    virtual ~CompiledModel() = default;

    // Members ordered to leave no padding: a forest holds one such object per tree. What only
    // compiling reads (the element's name, modelName, the Output's fields) stays in the Compiler.
    MiningFunction function = MiningFunction::regression;
    DataType target_type = DataType::unknown;
    /// x-mathContext="float" (JPMML's extension, as XGBoost and LightGBM converters emit): the model's
    /// constants, inputs and every sum, product and function value are rounded to float32.
    bool float_math = false;
    /// Set by an enclosing model that reads only this model's predicted category or value (a
    /// segment of a vote, or of a sum or average of scores, whose outputs nobody reads): what the
    /// result carries besides (a tree's probabilities and confidences) may be dropped at seal.
    bool prediction_only = false;
    int result = -1;  ///< index into EvalScratch::results
    CategoryTable categories;
    std::unique_ptr<const TargetPost> post;  ///< the Targets' post-processing; nullptr when none

    bool classification() const noexcept { return function == MiningFunction::classification; }
    /// Classification or clustering: the model predicts one of its categories (clusters are the
    /// categories of a clustering model; its ModelResult::probs hold the affinities).
    bool categorical() const noexcept {
        return function == MiningFunction::classification || function == MiningFunction::clustering;
    }

    /// Evaluates for the current record (once) and returns the result.
    const ModelResult& run(Ctx& ctx) const;

    /// Value of category c as the model predicts it (number with text for numeric targets).
    Value category_value(int c) const {
        const auto& cat = categories[static_cast<std::size_t>(c)];
        return cat.numeric ? Value::number(cat.number, cat.text) : Value::string(cat.text);
    }
    /// Index of the category with this text (numeric targets also match numerically), or -1.
    int find_category(std::string_view text) const;
    /// find_category, adding the category when absent (compile time only).
    int intern_category(std::string_view text);
    /// Sets r.value/r.category to the most probable category (first one on ties).
    void pick_best(ModelResult& r) const;
    /// Index of the largest of p[0..n) (the first one on ties; -1 when none is above -infinity).
    static int best_of(const double* p, std::size_t n) noexcept {
        int best = -1;
        double best_p = -HUGE_VAL;
        for (std::size_t i = 0; i < n; ++i) {
            if (p[i] > best_p) {
                best_p = p[i];
                best = static_cast<int>(i);
            }
        }
        return best;
    }

    // ---- The direct plan (PmmlModel::score for a document whose top model is this one) ----------
    /// Trees: how many nodes result_at() answers for (0: the model is no tree).
    virtual std::size_t direct_nodes() const { return 0; }
    /// Trees: the node this record's walk ends at when its result is result_at(node) (no
    /// missing-value penalty, no aggregation), no_node when the walk selects none, general_path
    /// when only evaluate() gives the result. Errors are those evaluate() would raise.
    static constexpr int no_node = -1, general_path = -2;
    virtual int direct_node(Ctx& /*ctx*/) const { return general_path; }
    /// Trees: fills `r` with what run() returns for a record whose walk ends at node k (no_node: at
    /// none) without penalty or aggregation, Targets included. False for other models.
    bool result_at(int k, ModelResult& r) const;
    /// Classifiers whose result is their probabilities (RegressionModel): true when
    /// class_probabilities() answers for this model.
    virtual bool gives_class_probabilities() const { return false; }
    /// This record's probabilities per category (category order, categories.size() of them) as
    /// evaluate() puts them into its result, in a work area; nullptr when evaluate() would leave the
    /// result without probabilities (then the caller uses run()).
    virtual const double* class_probabilities(Ctx& /*ctx*/) const { return nullptr; }
    /// Ensembles' fast path: this record's class index (classification) or value (regression)
    /// without filling a ModelResult. Returns 1 with a result, 0 for no prediction, and -1 when the
    /// model has no fast path for this record (the caller then uses run()).
    virtual int quick(Ctx& /*ctx*/, int& /*category*/, double& /*value*/) const { return -1; }
    /// The flat form of this model when it is such a tree (nullptr otherwise).
    virtual const FlatTree* flat_tree() const { return nullptr; }
    /// Called once the model is complete (after its Output is read): reserve work areas here.
    virtual void finalize(Layout& /*layout*/) {}
    /// Called for every model once the whole document is compiled (nested models first), before
    /// the input plan is built: trees may add Symbols::divert bits to the program's symbols here.
    virtual void seal(const Program& /*prog*/) {}
    /// Families with OutputFields of their own (rule features, reason codes, ranked neighbours):
    /// claims `of` by setting d.feature = Feature::family and its parameters, or returns false to
    /// leave it to the shared features. Called before the shared features are read.
    virtual bool parse_output(Compiler& /*c*/, const pugi::xml_node& /*of*/, OutputDef& /*d*/) {
        return false;
    }
    /// Value of an OutputField this model claimed in parse_output, for the current record.
    virtual Value family_output(Ctx& /*ctx*/, const OutputDef& /*d*/, const ModelResult& /*r*/) const {
        return Value::missing();
    }
    /// One line on the model's structure for describe() (rules, characteristics, ...); "" for none.
    virtual std::string summary() const { return {}; }
    /// How this model walks a record, for describe()'s plan (trees and ensembles of them: which
    /// form of the nodes; "" for the others).
    virtual std::string walk_summary() const { return {}; }
    /// Estimated heap and object bytes of this model's compiled form (not counting nested models,
    /// nor its category table, which load() counts once per table: see CategoryTable).
    virtual std::size_t memory_bytes() const {
        std::size_t n = sizeof(*this);
        if (post) n += sizeof(TargetPost) + post->priors.capacity() * sizeof(double);
        return n;
    }

    /// The base's bytes plus a family's own members: a family's memory_bytes() starts from
    /// own_bytes(*this) and adds the heap its members hold.
    template <class Family>
    std::size_t own_bytes(const Family& /*self*/) const {
        static_assert(std::is_base_of_v<CompiledModel, Family>);
        return CompiledModel::memory_bytes() + (sizeof(Family) - sizeof(CompiledModel));
    }

    /// Heap bytes of a string (none when its text fits in the object: up to 15 bytes).
    static std::size_t heap_bytes(const std::string& s) noexcept {
        return s.capacity() > 15 ? s.capacity() + 1 : 0;
    }

protected:
    virtual void evaluate(Ctx& ctx, ModelResult& r) const = 0;
    /// result_at's family part (trees): evaluate() for a walk that ended at node k (k >= 0).
    virtual bool fill_node(int /*k*/, ModelResult& /*r*/) const { return false; }

private:
    void apply_targets(ModelResult& r) const;
};

/// The evaluate() of a family whose per-record arithmetic is one template, `evaluate_as<T>(ctx, r)`:
/// in double, or in float for x-mathContext="float". The float instantiation stays out of line, so
/// the double path compiles as if it were alone. A family whose evaluate_as is private declares
/// `friend class FloatOrDouble<Family>;`.
template <class Family>
class FloatOrDouble : public CompiledModel {
protected:
    void evaluate(Ctx& ctx, ModelResult& r) const override {
        if (float_math)
            evaluate_float(ctx, r);
        else
            static_cast<const Family&>(*this).template evaluate_as<double>(ctx, r);
    }

private:
    [[gnu::noinline]] void evaluate_float(Ctx& ctx, ModelResult& r) const {
        static_cast<const Family&>(*this).template evaluate_as<float>(ctx, r);
    }
};

/// How an OutputField computes its value.
struct OutputDef {
    enum class Feature : std::uint8_t {
        predicted_value,
        predicted_display_value,
        probability,
        confidence,
        transformed_value,
        decision,
        entity_id,
        family,  ///< claimed by the model's parse_output; evaluated by its family_output
    };
    // Members by size, so that none is padded.
    const CompiledModel* model = nullptr;
    ExprPtr expr;                   ///< transformedValue / decision
    std::string_view feature_name;  ///< family outputs: the feature as describe() reports it
    int category = -1;              ///< probability/confidence of this category; -1 = of the predicted one
    int buffer = -1;
    int rank = 1;               ///< family outputs: the rank the OutputField asks for
    int param = 0, param2 = 0;  ///< family outputs: what the model's parse_output recorded
    int work = -1;              ///< family outputs: a numeric work area the model reserved
    Feature feature = Feature::predicted_value;
    DataType type = DataType::unknown;

    Value eval(Ctx& ctx) const;
};

}  // namespace scorestream::pmml::detail
