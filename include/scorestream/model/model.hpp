#pragma once
// Model: the pluggable scoring interface. A Model is immutable once built and shared by every
// caller that scores with it; per-caller scratch space lives in the Prediction the caller passes,
// so scoring one record allocates nothing once the Prediction has been used once.
// Thread-safety: every const member may be called from many threads at once.

#include <scorestream/model/value.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace scorestream {

/// Who a model is: every result names it, so any output can be traced to the model that made it.
struct ModelIdentity {
    std::string name;
    std::string version;
    std::string description;
    std::string type;       ///< factory name: "pmml", "onnx", or a custom factory's name
    std::string data_type;  ///< the routing key the model serves
    std::int64_t created_at_ms = 0;
};

/// What a model reads and writes, by name. Resolved against a record schema once per
/// (record schema, model) pair, never per record.
struct ModelSchema {
    std::vector<std::string> inputs;   ///< FeatureRow order
    std::string target;                ///< name of the predicted field (may be empty, e.g. clustering)
    std::vector<std::string> outputs;  ///< names of Prediction::outputs, in order
};

/// Base of a model's per-caller working memory. A model creates its own kind the first time a
/// Prediction is scored by it and reuses it on every later call with the same Prediction.
class Scratch {
public:
    virtual ~Scratch() = default;
};

/// The answer for one record. Reused across records by the caller: vectors keep their capacity.
/// String values point either into memory the model owns (category names: valid while the model
/// lives) or into this Prediction's scratch (strings computed per record, e.g. by PMML string
/// functions: valid until the next score() with this Prediction). Copy them to keep them longer.
struct Prediction {
    Value value;                 ///< the predicted target value (number or category) or missing
    std::vector<Value> outputs;  ///< aligned with ModelSchema::outputs
    std::string error;           ///< non-empty when the record could not be scored: says why

    bool ok() const noexcept { return error.empty(); }

    /// Clears the answer and keeps capacity; called by Model implementations before they score.
    void reset(std::size_t output_count) {
        value = Value::missing();
        outputs.assign(output_count, Value::missing());
        error.clear();
    }

    /// The model's working memory for this caller (see Scratch); managed by the model.
    std::unique_ptr<Scratch> scratch;
    std::uint64_t scratch_owner = 0;
};

class Model {
public:
    virtual ~Model() = default;

    virtual const ModelIdentity& identity() const noexcept = 0;
    virtual const ModelSchema& schema() const noexcept = 0;

    /// Scores one row into `out`. Reports a bad record through out.error rather than throwing;
    /// the pipeline still catches anything a user model throws and turns it into an error result.
    virtual void score(const FeatureRow& row, Prediction& out) const = 0;

    /// The bytes a factory's restore() turns back into an equal model (used by checkpoints).
    virtual std::string to_bytes() const = 0;

    const std::string& type() const noexcept { return identity().type; }
    const std::string& name() const noexcept { return identity().name; }
    const std::string& version() const noexcept { return identity().version; }

protected:
    Model() noexcept : instance_id_(next_instance_id()) {}
    Model(const Model&) noexcept : instance_id_(next_instance_id()) {}
    Model& operator=(const Model&) noexcept { return *this; }

    /// Returns this model's scratch in `out`, creating it with `make` on first use.
    template <class S, class Make>
    S& scratch_for(Prediction& out, Make&& make) const {
        if (out.scratch_owner != instance_id_ || !out.scratch) {
            out.scratch = make();
            out.scratch_owner = instance_id_;
        }
        return static_cast<S&>(*out.scratch);
    }

private:
    // Unique per model object for the life of the process, so a Prediction never mistakes the
    // scratch of a destroyed model for that of a new one allocated at the same address.
    static std::uint64_t next_instance_id() noexcept {
        static std::atomic<std::uint64_t> counter{0};
        return counter.fetch_add(1, std::memory_order_relaxed) + 1;
    }
    std::uint64_t instance_id_;
};

using ModelPtr = std::shared_ptr<const Model>;

}  // namespace scorestream
