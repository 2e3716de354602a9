#pragma once
// scorestream::pmml: load a PMML document (3.0 to 4.4) and score records with it.
//
// load() parses the document once and compiles it into an immutable, flat form: field names become
// indices, trees become arrays, categories are interned. The result is a scorestream::Model whose
// inputs (ModelSchema::inputs) are the active MiningFields of the top-level model, in document
// order; its outputs are the top-level model's final OutputFields.
//
// Thread-safety: a PmmlModel is immutable; score() may run on many threads at once, each with its
// own Prediction (which carries that caller's scratch space). Scoring allocates nothing in steady
// state for tree, regression and ensemble models.
//
// Errors: load() throws scorestream::parse_error (malformed XML or PMML), unsupported_error (an
// element outside the supported subset) or invalid_value_error (a bad value, an undefined
// reference, a cycle, a size or depth limit), each naming the element and its line. score() never
// throws for a bad record: Prediction::error says why.

#include <scorestream/model/model.hpp>

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace scorestream::pmml {

/// Options for load().
struct LoadOptions {
    ModelIdentity identity;  ///< carried by the model; identity.type is set to "pmml"
    int max_depth = 400;     ///< deepest nesting of tree nodes, predicates and expressions
    bool keep_text = true;   ///< keep the document for to_bytes() (checkpoints)
};

/// One field as describe() reports it.
struct FieldDescription {
    std::string name;
    std::string data_type;            ///< "double", "string", ...
    std::string optype;               ///< "continuous", "categorical", "ordinal"
    std::vector<std::string> values;  ///< valid values, when the DataDictionary lists them
};

/// One output field as describe() reports it.
struct OutputDescription {
    std::string name;
    std::string feature;    ///< "predictedValue", "probability", ...
    std::string data_type;  ///< empty when the document does not say
};

/// What a loaded document contains (for tools and logs).
struct Description {
    std::string pmml_version;
    std::string producer;    ///< Header/Application name and version
    std::string model_kind;  ///< "TreeModel", "MiningModel", ...
    std::string model_name;
    std::string function;  ///< "classification", "regression", "clustering", "associationRules", "mixed"
    std::vector<FieldDescription> inputs;
    std::string target;  ///< empty when the model has none
    std::vector<std::string> target_categories;
    std::vector<OutputDescription> outputs;
    std::size_t nested_models = 0;  ///< models inside segmentations
    /// The MiningField with usageType="group" (an AssociationModel's transaction id), or empty.
    /// A record is then one group: see item_list().
    std::string group_field;
    std::string details;  ///< the model's structure in one line (rules, characteristics, ...)
    /// How score() evaluates a record, chosen at load: "direct (tree)" or "direct (class
    /// probabilities)" when the prediction and outputs are written without a model result, else
    /// "general"; for trees and tree ensembles then the walk ("flat form (N nodes)", "7 flat trees,
    /// one after another over a packed copy", ...). For tools and logs; the wording may change.
    std::string plan;
    bool has_verification = false;  ///< the document carries a ModelVerification block
    std::size_t text_bytes = 0;     ///< size of the PMML text
    /// Estimated memory of the compiled form (this description, built on request, not included).
    std::size_t compiled_bytes = 0;
};

/// One value of a verification record that differs from what the model computes.
struct VerificationMismatch {
    std::size_t record = 0;  ///< 1-based row of the verification InlineTable
    std::string field;       ///< the VerificationField's field
    std::string expected;    ///< the cell as written ("" when the row has none: a missing value)
    std::string actual;      ///< the computed value, "" when missing, or "error: ..." for a failed record
    double precision = 0, zero_threshold = 0;  ///< the VerificationField's tolerances
};

/// Result of running the document's ModelVerification block. A numeric result matches when
/// |actual - expected| <= precision * |expected|, or when both are below zeroThreshold in
/// magnitude (the VerificationField's attributes, defaults 1e-6 and 1e-16); other values match
/// as text.
struct VerificationReport {
    bool present = false;
    std::size_t records = 0;
    std::size_t passed = 0;
    std::size_t declared_records = 0;              ///< the block's recordCount (0 when absent)
    std::vector<VerificationMismatch> mismatches;  ///< every mismatching value, in record order
    std::vector<std::string> unchecked;  ///< VerificationFields that name neither an input nor a result
    std::vector<std::string> failures;   ///< one line per failing record (first 10)
    bool ok() const noexcept {
        return present && passed == records && (declared_records == 0 || declared_records == records);
    }
};

class PmmlModel final : public Model {
public:
    struct Impl;
    explicit PmmlModel(std::unique_ptr<Impl> impl);
    ~PmmlModel() override;

    const ModelIdentity& identity() const noexcept override;
    const ModelSchema& schema() const noexcept override;
    void score(const FeatureRow& row, Prediction& out) const override;
    std::string to_bytes() const override;

    /// What the document contains. Built by the first call (a process that only scores holds none
    /// of it); later calls, from any thread, return the same object.
    const Description& describe() const;
    /// Runs the ModelVerification block (present == false when there is none).
    VerificationReport verify() const;

private:
    std::unique_ptr<Impl> impl_;
};

using PmmlModelPtr = std::shared_ptr<const PmmlModel>;

/// The value an AssociationModel reads from its item field for one transaction (the records of
/// one group_field value): the items separated by spaces, an item holding a blank, a quote or a
/// backslash written in double quotes with `\"` and `\\` escapes (the PMML Array convention).
/// Example: {"beer", "frozen meal"} gives `beer "frozen meal"`.
std::string item_list(const std::vector<std::string>& items);

/// Compiles a PMML document held in memory.
PmmlModelPtr load(std::string_view pmml_text, const LoadOptions& options = {});

/// Reads and compiles a PMML file; throws io_error when it cannot be read.
PmmlModelPtr load_file(const std::filesystem::path& path, const LoadOptions& options = {});

}  // namespace scorestream::pmml
