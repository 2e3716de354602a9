#pragma once
// The interface between the framework and the model families. Every family (TreeModel,
// RegressionModel, MiningModel, GeneralRegressionModel, NeuralNetwork) derives CompiledModel and
// implements evaluate(); the framework runs Targets post-processing and computes Output fields.

#include "core.hpp"

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace scorestream::pmml::detail {

/// A class label of a classification model. The text is owned here for the life of the model, so
/// a Value pointing at it stays valid.
struct Category {
    std::string text;
    double number = 0.0;
    bool numeric = false;  ///< the target's dataType is numeric and the text parses as a number
    std::string display;   ///< displayValue from Targets or DataField (empty when none)
};

/// Targets/Target post-processing of a model's raw result.
struct TargetPost {
    bool present = false;
    double factor = 1.0, constant = 0.0;
    enum class Cast : std::uint8_t { none, round, ceiling, floor } cast = Cast::none;
    double min = -HUGE_VAL, max = HUGE_VAL;
    bool has_default = false;
    double default_value = 0.0;
    std::vector<double> priors;  ///< per category; empty when none
};

/// 16-byte node of a tree whose every split is binary (the usual R and KNIME output): either a
/// comparison of a numeric input (x <= t / x > t) or a category test on a string input with
/// complementary sets. Internal nodes hold (value, slot << 4 | flags, first child); leaves hold
/// (-, -1, payload). Numeric splits: flag bits 0/1/2 say whether x == / > / < value sends the
/// record to the first child (else the second). Category splits (flag bit 3): `value` holds the
/// 64-bit set of category indexes sending it to the first child, bit 0 where a string the
/// document never names goes, and bit 2 that such a string needs the general path instead. Shared so that
/// ensembles can walk their trees without calls.
struct FlatNode {
    double value;
    std::int32_t slot_mask;
    std::int32_t next;
};
static_assert(sizeof(FlatNode) == 16, "FlatNode is meant to stay 16 bytes");

/// One step down a flat tree from internal node `n`: the next node's index, or -1 when an input
/// is missing (or a string needs the general path).
inline int step_flat(const FlatNode& n, const double* xs, const std::int32_t* cats) noexcept {
    int slot = n.slot_mask >> 4;
    bool first;
    if (n.slot_mask & 8) {
        std::int32_t c = cats[slot];
        if (c == -2) return -1;
        std::uint64_t bits;
        std::memcpy(&bits, &n.value, sizeof bits);
        if (c < 0 || c >= 64) {
            if (n.slot_mask & 4) return -1;
            first = (n.slot_mask & 1) != 0;
        } else {
            first = ((bits >> c) & 1u) != 0;
        }
    } else {
        double x = xs[slot];
        if (x != x) return -1;
        int rel = x < n.value ? 4 : (x > n.value ? 2 : 1);
        first = (n.slot_mask & rel) != 0;
    }
    return n.next + (first ? 0 : 1);
}

/// Walks a flat tree; returns the leaf's index, or -1 when an input is missing (the caller then
/// takes the general path, which applies the missing-value strategy).
inline int walk_flat(const FlatNode* nodes, const double* xs, const std::int32_t* cats) noexcept {
    int i = 0;
    for (;;) {
        const FlatNode& n = nodes[i];
        if (n.slot_mask < 0) return i;
        int slot = n.slot_mask >> 4;
        bool first;
        if (n.slot_mask & 8) {
            std::int32_t c = cats[slot];
            if (c == -2) return -1;
            std::uint64_t bits;
            std::memcpy(&bits, &n.value, sizeof bits);
            if (c < 0 || c >= 64) {
                if (n.slot_mask & 4) return -1;  // a string neither listed set names
                first = (n.slot_mask & 1) != 0;
            } else {
                first = ((bits >> c) & 1u) != 0;
            }
        } else {
            double x = xs[slot];
            if (x != x) return -1;
            int rel = x < n.value ? 4 : (x > n.value ? 2 : 1);
            first = (n.slot_mask & rel) != 0;
        }
        i = n.next + (first ? 0 : 1);
    }
}

class CompiledModel {
public:
    virtual ~CompiledModel() = default;

    std::string kind;  ///< element name: "TreeModel", ...
    std::string name;  ///< modelName
    MiningFunction function = MiningFunction::regression;
    int result = -1;  ///< index into EvalScratch::results
    std::string target_name;
    DataType target_type = DataType::unknown;
    std::vector<Category> categories;
    TargetPost post;
    std::vector<int> output_slots;
    std::vector<std::string> output_names;
    std::vector<bool> output_final;
    std::size_t segments = 0;  ///< number of nested models (for describe)

    bool classification() const noexcept { return function == MiningFunction::classification; }

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
    /// Ensembles' fast path: this record's class index (classification) or value (regression)
    /// without filling a ModelResult. Returns 1 with a result, 0 for no prediction, and -1 when the
    /// model has no fast path for this record (the caller then uses run()).
    virtual int quick(Ctx& /*ctx*/, int& /*category*/, double& /*value*/) const { return -1; }
    /// The flat form of this model when it is such a tree (nullptr otherwise); `scores` receives
    /// the regression scores the leaves' payloads index (classification payloads are classes).
    virtual const FlatNode* flat_tree(const double** /*scores*/) const { return nullptr; }
    /// Called once the model is complete (after its Output is read): reserve work areas here.
    virtual void finalize(Layout& /*layout*/) {}
    /// Called for every model once the whole document is compiled (nested models first).
    virtual void seal(const Program& /*prog*/) {}
    /// Estimated heap and object bytes of this model's compiled form (not counting nested models).
    virtual std::size_t memory_bytes() const {
        std::size_t n = sizeof(*this) + categories.capacity() * sizeof(Category);
        for (const auto& c : categories) n += c.text.capacity() > 15 ? c.text.capacity() : 0;
        return n;
    }

protected:
    virtual void evaluate(Ctx& ctx, ModelResult& r) const = 0;

private:
    void apply_targets(ModelResult& r) const;
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
    };
    Feature feature = Feature::predicted_value;
    const CompiledModel* model = nullptr;
    int category = -1;  ///< probability/confidence of this category; -1 = of the predicted one
    ExprPtr expr;       ///< transformedValue / decision
    DataType type = DataType::unknown;
    int buffer = -1;

    Value eval(Ctx& ctx) const;
};

}  // namespace scorestream::pmml::detail
