#pragma once
// member_scorer: what strategies use to score a record with one member and to write the result.
// It does what score() does for a single model (feature binding once per (layout, model), the
// member's own scratch, usage/failure/duration stats, never throwing) for any member of a group.
// Thread-safety: belongs to one pipeline thread.

#include <scorestream/serve/group.hpp>
#include <scorestream/stream/context.hpp>
#include <scorestream/stream/score.hpp>
#include <scorestream/stream/scored.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace scorestream::serve {

class member_scorer {
public:
    member_scorer(score_options opts, pipeline_context& ctx) : opts_(opts), ctx_(&ctx) {}

    /// Starts a record: decides whether this record's member scores are timed (score_options).
    void begin_record() noexcept {
        timed_ = opts_.time_every != 0 && ++tick_ >= opts_.time_every;
        if (timed_) tick_ = 0;
    }
    bool timed() const noexcept { return timed_; }
    pipeline_context& context() noexcept { return *ctx_; }

    /// Binds the member's inputs to r's layout when it changed and fills the member's feature row.
    template <class T>
    void gather(member& m, const T& r) {
        if (record_traits<T>::schema(r) != m.binding.schema) rebind(m, r);
        m.binding.gather_into(r, m.row);
    }

    /// Scores r with member m into m.answer; true when it answered. Never throws.
    template <class T>
    bool score(member& m, const T& r) {
        gather(m, r);
        return score_gathered(m);
    }

    /// Scores the member's already gathered row (see gather()).
    bool score_gathered(member& m) {
        std::chrono::steady_clock::time_point t0;
        if (timed_) t0 = std::chrono::steady_clock::now();
        try {
            m.model->score(FeatureRow(m.row.data(), m.row.size()), m.answer);
        } catch (const std::exception& e) {
            m.answer.error = std::string("model threw: ") + e.what();
        } catch (...) {
            m.answer.error = "model threw a non-standard exception";
        }
        if (timed_) {
            m.duration = std::chrono::steady_clock::now() - t0;
            m.current->record_duration(static_cast<std::uint64_t>(m.duration.count()));
        } else {
            m.duration = std::chrono::nanoseconds(0);
        }
        ++m.current->usage;
        if (m.answer.ok()) return true;
        ++m.current->failures;
        note_error(*m.stats, m.answer.error);
        return false;
    }

    /// Makes (model, prediction) the record's result; the caller then writes out.answered_by.
    template <class T>
    static void answer(Scored<T>& out, const ModelPtr& model, const Prediction& p) {
        if (out.model != model) out.model = model;
        out.prediction.value = p.value;
        out.prediction.outputs.assign(p.outputs.begin(), p.outputs.end());
        out.prediction.error.clear();
        if (p.ok()) {
            out.status = score_status::scored;
            out.reason.clear();
        } else {
            out.status = score_status::failed;
            out.reason.assign(p.error);
        }
    }
    template <class T>
    static void answer(Scored<T>& out, const member& m) {
        answer(out, m.model, m.answer);
        out.duration += m.duration;
    }

    /// No member answered: `status` (failed or no_model) with the reason; no model is named.
    template <class T>
    static void no_answer(Scored<T>& out, score_status status, std::string_view reason) {
        out.status = status;
        out.model.reset();
        out.prediction.value = Value::missing();
        out.prediction.outputs.clear();
        out.prediction.error.clear();
        out.reason.assign(reason);
    }

    /// Records a member's failure (data_type_stats::note_error assigns in place: no allocation per
    /// failing record).
    static void note_error(data_type_stats& st, const std::string& reason) { st.note_error(reason); }

private:
    template <class T>
    void rebind(member& m, const T& r) {
        m.binding = feature_binding::resolve(r, m.model->schema().inputs);
        m.binding.prepare(m.row);
        if (!m.binding.absent.empty()) {
            m.current->absent_inputs = m.binding.absent;
            std::string names;
            for (const auto& n : m.binding.absent) names += (names.empty() ? "'" : ", '") + n + "'";
            m.stats->note_error("records have no field " + names + " used by member '" + m.role +
                                "' model '" + m.model->name() + "' version '" + m.model->version() +
                                "'; scored as missing");
        }
    }

    score_options opts_;
    pipeline_context* ctx_;
    std::size_t tick_ = 0;
    bool timed_ = false;
};

}  // namespace scorestream::serve
