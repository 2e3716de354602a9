#pragma once
// Best quality: every member scores the record; the answer with the highest quality wins.
//
//     join(models, registry, serve::best_quality{{"a", "b", "c"}}) | serve::score()
//
// Quality is, by default, the member's confidence: its output named `confidence_output`
// ("confidence") when the model has one, else the highest of its outputs whose name starts with
// "probability" (PMML probability output fields). A user quality function `quality(model,
// prediction)` replaces that. A member without a usable quality (no such output, a missing or NaN
// value) ranks below every member with one; among equal qualities member order decides.
//
// answered_by: "winner b (confidence 0.93)", or "winner b (quality 0.93)" with a quality function,
// or "winner a (no quality)" when no answer had one.
// Per record: no heap allocation once the members' buffers have grown to size (a quality function
// that allocates is the user's choice).
// Thread-safety: the engine belongs to one pipeline thread.

#include <scorestream/error.hpp>
#include <scorestream/serve/group.hpp>
#include <scorestream/serve/score.hpp>
#include <scorestream/serve/scorer.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace scorestream::serve {

class best_quality_engine;

struct best_quality {
    using engine = best_quality_engine;

    std::vector<std::string> members;  ///< two or more roles, in tie-breaking order
    std::string confidence_output = "confidence";
    /// When set, the quality of an answer; higher is better; NaN means "no quality".
    std::function<double(const Model&, const Prediction&)> quality;
};

class best_quality_engine : public engine_base {
public:
    static constexpr const char* kind = "best_quality";

    explicit best_quality_engine(best_quality b) : opts_(std::move(b)) {
        if (opts_.members.size() < 2)
            throw invalid_value_error("serve::best_quality needs two or more members, got " +
                                      std::to_string(opts_.members.size()));
        for (std::size_t i = 0; i < opts_.members.size(); ++i)
            for (std::size_t k = 0; k < i; ++k)
                if (opts_.members[k] == opts_.members[i])
                    throw invalid_value_error("serve::best_quality: member '" + opts_.members[i] + "' twice");
    }

    const std::vector<std::string>& roles() const noexcept { return opts_.members; }
    template <class G>
    void init(G&) {}

    /// Resolves which outputs carry the confidence, once per installed model.
    void installed(member& m) {
        m.quality_outputs.clear();
        const auto& outputs = m.model->schema().outputs;
        for (std::size_t i = 0; i < outputs.size(); ++i)
            if (outputs[i] == opts_.confidence_output) m.quality_outputs.push_back(i);
        if (!m.quality_outputs.empty()) return;
        for (std::size_t i = 0; i < outputs.size(); ++i)
            if (outputs[i].rfind("probability", 0) == 0) m.quality_outputs.push_back(i);
    }

    template <class T>
    void serve(group<best_quality_engine>& g, Scored<T>& out, member_scorer& sc) {
        member* best = nullptr;
        double best_q = 0;
        bool best_has_q = false;
        for (auto& m : g.members) {
            if (!m.installed()) {
                ++g.counters(m).absent;
                continue;
            }
            const bool ok = sc.score(m, out.record);
            out.duration += m.duration;
            if (!ok) {
                ++g.counters(m).failed;
                continue;
            }
            const double q = quality_of(m);
            const bool has_q = !std::isnan(q);
            // Strictly better only: among equal qualities the earlier member keeps the lead.
            if (best == nullptr || (has_q && (!best_has_q || q > best_q))) {
                best = &m;
                best_q = q;
                best_has_q = has_q;
            }
        }
        if (best == nullptr) {
            out.answered_by.assign("no answer");
            member_scorer::no_answer(out, score_status::failed, "best_quality: no member answered");
            return;
        }
        member_scorer::answer(out, best->model, best->answer);
        ++g.counters(*best).answered;
        out.answered_by.assign("winner ");
        out.answered_by.append(best->role);
        if (!best_has_q) {
            out.answered_by.append(" (no quality)");
        } else {
            out.answered_by.append(opts_.quality ? " (quality " : " (confidence ");
            detail::append_number(out.answered_by, best_q);
            out.answered_by.append(")");
        }
    }

private:
    double quality_of(const member& m) const {
        constexpr double none = std::numeric_limits<double>::quiet_NaN();
        if (opts_.quality) {
            try {
                return opts_.quality(*m.model, m.answer);
            } catch (...) {
                return none;  // a throwing quality function ranks the answer last, never stops serving
            }
        }
        double q = none;
        for (std::size_t i : m.quality_outputs) {
            if (i >= m.answer.outputs.size()) continue;
            const Value& v = m.answer.outputs[i];
            if (v.is_number() && (std::isnan(q) || v.as_number() > q)) q = v.as_number();
        }
        return q;
    }

    best_quality opts_;
};

}  // namespace scorestream::serve
