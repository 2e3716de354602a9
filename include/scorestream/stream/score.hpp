#pragma once
// Model serving on the dynamic-control join:
//
//     source | join(models, registry) | score() | sink(...)
//
// join(control, registry, options) joins records with the model current for their data type.
// The control source yields ModelDescriptors; each is built by the registry (in inline mode, on the
// pipeline thread between two records) and, when it builds, replaces the slot's model in one
// pointer assignment: a record is scored by exactly one whole model version. A descriptor that
// fails to build is rejected with its reason (counted in the data type's stats, reported to the
// error handler) and the previous model keeps serving.
//
// score(options) scores each joined record with its slot's model and emits Scored<T>: the record,
// the model (name and version for tracking), the prediction, or why it was not scored. It never
// throws: a model that throws or reports an error gives a `failed` result.
// Thread-safety: stages belong to one pipeline thread; models are shared immutably.

#include <scorestream/model/factory.hpp>
#include <scorestream/model/record.hpp>
#include <scorestream/model/stats.hpp>
#include <scorestream/stream/join.hpp>
#include <scorestream/stream/scored.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace scorestream {

/// The state a model join keeps per data type.
struct model_slot {
    ModelPtr model;
    std::string data_type;
    data_type_stats* stats = nullptr;  ///< this data type's stats (in the pipeline context)
    model_stats* current = nullptr;    ///< stats of `model`
    feature_binding binding;           ///< model inputs resolved against the last record layout seen
    std::vector<Value> row;            ///< the feature row, refilled per record
    std::unique_ptr<Scratch> scratch;  ///< the model's working memory, kept per slot
    std::uint64_t scratch_owner = 0;
};

struct model_join_options {
    /// When set, every record is of this data type; otherwise record_traits<T>::data_type(record).
    std::string data_type;
    before_state policy = before_state::emit;  ///< records before any model for their data type
    std::size_t max_held = 10000;
    std::size_t control_check_every = 1;
    std::size_t control_batch = 64;
    /// Data types with a model, at most (updates for further new data types are rejected); the
    /// serving stats track the same number of data types by name.
    std::size_t max_keys = serving_stats::max_data_types;
    std::string name = "models";
};

/// A model already built off the data path (see built_models()): the descriptor it came from
/// (without its bytes) and the model, or the reason it did not build.
struct model_update {
    ModelDescriptor descriptor;
    ModelPtr model;
    std::string error;
};

namespace detail {
template <class O, class = void>
struct has_max_keys : std::false_type {};
template <class O>
struct has_max_keys<O, std::void_t<decltype(std::declval<const O&>().max_keys)>> : std::true_type {};
}  // namespace detail

/// The join options of a model-serving options struct (model_join_options, serve::serve_options).
template <class Options>
join_options join_options_from(const Options& o) {
    join_options jo;
    jo.policy = o.policy;
    jo.max_held = o.max_held;
    jo.control_check_every = o.control_check_every;
    jo.control_batch = o.control_batch;
    if constexpr (detail::has_max_keys<Options>::value) jo.max_keys = o.max_keys;
    jo.name = o.name;
    return jo;
}

/// Applies ModelDescriptors to model slots: build, then publish, or reject with the reason.
class model_updater {
public:
    explicit model_updater(const ModelRegistry& registry) : registry_(&registry) {}

    void bind_context(pipeline_context& ctx) { ctx_ = &ctx; }

    update_result operator()(model_slot& slot, ModelDescriptor&& d) {
        data_type_stats& st = ctx_->stats.of(d.data_type());
        ModelPtr m;
        try {
            m = registry_->build(d);
        } catch (const std::exception& e) {
            st.reject(e.what());
            return reject(e.what());
        }
        install(slot, st, std::move(m), d.data_type());
        return accept();
    }

    /// Publishes a model built elsewhere (or rejects the update that failed to build there).
    update_result operator()(model_slot& slot, model_update&& u) {
        data_type_stats& st = ctx_->stats.of(u.descriptor.data_type());
        if (!u.model) {
            std::string reason = u.error.empty() ? "model update carries no model" : std::move(u.error);
            st.reject(reason);
            return reject(std::move(reason));
        }
        install(slot, st, std::move(u.model), u.descriptor.data_type());
        return accept();
    }

    void on_dropped(std::string_view data_type) { ++ctx_->stats.of(data_type).dropped; }

private:
    static void install(model_slot& slot, data_type_stats& st, ModelPtr m, const std::string& data_type) {
        // Everything the data path needs is prepared before the model pointer is replaced.
        slot.binding = feature_binding{};
        slot.row.assign(m->schema().inputs.size(), Value::missing());
        slot.data_type = data_type;
        slot.stats = &st;
        slot.current = &st.install(m->identity());
        slot.model = std::move(m);
    }

    const ModelRegistry* registry_;
    pipeline_context* ctx_ = nullptr;
};

namespace detail {
struct descriptor_data_type {
    std::string operator()(const ModelDescriptor& d) const { return d.data_type(); }
    std::string operator()(const model_update& u) const { return u.descriptor.data_type(); }
};
/// The data type of a record: the fixed one when set (model_join_options::data_type), else
/// record_traits<In>::data_type(record).
template <class In>
class record_data_type {
public:
    explicit record_data_type(std::string fixed) : fixed_(std::move(fixed)) {}
    std::string_view operator()(const In& r) const {
        if constexpr (has_data_type_v<In>) {
            if (fixed_.empty()) return record_traits<In>::data_type(r);
        }
        (void)r;
        return fixed_;
    }

private:
    std::string fixed_;
};

struct not_a_model_join {};
template <class T>
struct is_joined_model : std::false_type {
    using record = not_a_model_join;
};
template <class T>
struct is_joined_model<Joined<T, model_slot>> : std::true_type {
    using record = T;
};
}  // namespace detail

template <class Control>
struct model_join_op : guarded_operator<model_join_op<Control>> {
    Control control;
    const ModelRegistry* registry;
    model_join_options opts;

    template <class In>
    using output = Joined<In, model_slot>;

    template <class In, class Next>
    auto make_valid(Next next, pipeline_context& ctx) {
        if constexpr (!has_data_type_v<In>) {
            if (opts.data_type.empty())
                throw invalid_value_error(
                    "join(models, registry): the record type has no record_traits<T>::data_type(); set "
                    "model_join_options::data_type to the data type every record has");
        }
        join_options jo = join_options_from(opts);
        using key_fn = detail::record_data_type<In>;
        return join_stage<In, model_slot, Control, model_updater, key_fn, detail::descriptor_data_type, Next>(
            std::move(control), model_updater(*registry), key_fn(opts.data_type),
            detail::descriptor_data_type{}, std::move(jo), std::move(next), ctx);
    }
};

/// Joins records with the model current for their data type; `control` yields ModelDescriptors.
/// The registry must outlive the pipeline.
template <class Control, std::enable_if_t<is_source_v<Control>, int> = 0>
model_join_op<std::decay_t<Control>> join(Control&& control, const ModelRegistry& registry,
                                          model_join_options opts = {}) {
    using C = typename std::decay_t<Control>::value_type;
    static_assert(
        std::is_same_v<C, ModelDescriptor> || std::is_same_v<C, model_update>,
        "scorestream::join(control, registry): the control source must yield ModelDescriptor "
        "(or model_update from built_models()); for other state use join<State>(control, update, ...)");
    return {{}, std::forward<Control>(control), &registry, std::move(opts)};
}

struct score_options {
    /// Measure the duration of every Nth scored record (1 = every record, 0 = never). Timing reads
    /// the steady clock twice per measured record; usage counts are exact either way.
    std::size_t time_every = 1;
};

template <class T, class Next>
class score_stage {
public:
    score_stage(score_options opts, Next next, pipeline_context& ctx)
        : opts_(opts), next_(std::move(next)), ctx_(&ctx) {}

    SCORESTREAM_HOT_INLINE void push(Joined<T, model_slot>&& j) {
        model_slot* slot = j.state;
        if (slot == nullptr || !slot->model) {
            push_unscored(j.record, slot, j.reason, j.key);  // by parts: j itself stays in registers
            return;
        }
        model_slot& s = *slot;
        if (record_traits<T>::schema(j.record) != s.binding.schema) rebind(s, j.record);
        s.binding.gather_into(j.record, s.row);
        detail::move_record(out_.record, j.record);
        if (out_.model != s.model) out_.model = s.model;  // usually the same: skip the refcount traffic
        if (--until_timed_ == 0) {
            until_timed_ = timing_period_;
            const auto t0 = std::chrono::steady_clock::now();
            call_model(s);
            out_.duration = std::chrono::steady_clock::now() - t0;
            s.current->record_duration(static_cast<std::uint64_t>(out_.duration.count()));
        } else {
            call_model(s);
            out_.duration = std::chrono::nanoseconds(0);
        }
        ++s.current->usage;
        if (out_.prediction.ok()) {
            out_.status = score_status::scored;
            if (!out_.reason.empty()) out_.reason.clear();
        } else {
            failed(s);
        }
        if (!out_.answered_by.empty()) out_.answered_by.clear();
        next_.push(std::move(out_));
    }

    void poll_control() { next_.poll_control(); }
    void finish() { next_.finish(); }

private:
    // The model's score() on the slot's row. Never throws. The slot's model scratch is lent to the
    // prediction for the call, so alternating data types do not make their models rebuild it.
    // (Outside the call it lives in the slot, never in out_, which a sink may move away.)
    SCORESTREAM_HOT_INLINE void call_model(model_slot& s) {
        if (s.scratch) lend_scratch(s);
        try {
            s.model->score(FeatureRow(s.row.data(), s.row.size()), out_.prediction);
        } catch (const std::exception& e) {
            out_.prediction.error = std::string("model threw: ") + e.what();
        } catch (...) {
            out_.prediction.error = "model threw a non-standard exception";
        }
        if (out_.prediction.scratch) return_scratch(s);
    }

    SCORESTREAM_COLD void push_unscored(T& record, model_slot* slot, unjoined_reason why,
                                        std::string_view key) {
        out_.record = std::move(record);
        out_.answered_by.clear();
        out_.duration = std::chrono::nanoseconds(0);
        out_.status = score_status::no_model;
        out_.model.reset();
        out_.prediction.value = Value::missing();
        out_.prediction.outputs.clear();
        out_.prediction.error.clear();
        const std::string_view dt = slot ? std::string_view(slot->data_type) : key;
        out_.reason.assign("no model for data type '").append(dt).append("'");
        if (why == unjoined_reason::hold_overflow || why == unjoined_reason::ended_while_held)
            out_.reason += std::string(" (") + to_string(why) + ")";
        ++ctx_->stats.of(dt).unscored;
        next_.push(std::move(out_));
    }

    SCORESTREAM_COLD void failed(model_slot& s) {
        out_.status = score_status::failed;
        out_.reason = out_.prediction.error;
        ++s.current->failures;
        s.stats->note_error(out_.reason);
    }

    void lend_scratch(model_slot& s) noexcept {
        out_.prediction.scratch = std::move(s.scratch);
        out_.prediction.scratch_owner = s.scratch_owner;
    }
    void return_scratch(model_slot& s) noexcept {
        s.scratch = std::move(out_.prediction.scratch);
        s.scratch_owner = out_.prediction.scratch_owner;
        out_.prediction.scratch_owner = 0;
    }

    // Resolves the model's inputs against this record's layout; runs once per (layout, model).
    SCORESTREAM_COLD void rebind(model_slot& s, const T& record) {
        s.binding = feature_binding::resolve(record, s.model->schema().inputs);
        s.binding.prepare(s.row);
        if (!s.binding.absent.empty()) {
            s.current->absent_inputs = s.binding.absent;
            std::string names;
            for (const auto& n : s.binding.absent) names += (names.empty() ? "'" : ", '") + n + "'";
            s.stats->note_error("records of data type '" + s.data_type + "' have no field " + names +
                                " used by model '" + s.model->name() + "' version '" + s.model->version() +
                                "'; scored as missing");
        }
    }

    score_options opts_;
    Next next_;
    pipeline_context* ctx_;
    Scored<T> out_;
    // Records from one timed record to the next ("never" is a count no stream reaches), and until
    // the next timed one.
    std::size_t timing_period_ = opts_.time_every != 0 ? opts_.time_every : static_cast<std::size_t>(-1);
    std::size_t until_timed_ = timing_period_;
};

struct score_op : operator_base {
    score_options opts;

    template <class In>
    using output = std::conditional_t<detail::is_joined_model<In>::value,
                                      Scored<typename detail::is_joined_model<In>::record>, upstream_error>;

    template <class In, class Next>
    auto make(Next next, pipeline_context& ctx) && {
        if constexpr (is_upstream_error_v<In>) {
            return invalid_stage{};
        } else if constexpr (!detail::is_joined_model<In>::value) {
            static_assert(
                detail::is_joined_model<In>::value,
                "scorestream::score(): must follow a model join: source | join(models, registry) | score() "
                "(after a multi-model serve::join, use serve::score())");
            return invalid_stage{};
        } else {
            using T = typename detail::is_joined_model<In>::record;
            static_assert(has_record_traits_v<T>,
                          "scorestream::score(): the record type has no record_traits specialization; see "
                          "<scorestream/model/record.hpp>");
            return score_stage<T, Next>(opts, std::move(next), ctx);
        }
    }
};

inline score_op score(score_options opts = {}) { return {{}, opts}; }

}  // namespace scorestream
