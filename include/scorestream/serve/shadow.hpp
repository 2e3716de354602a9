#pragma once
// Shadow: a candidate model scores every record beside the primary, without affecting the output.
//
//     join(models, registry, serve::shadow{}) | serve::score()      // members "primary", "candidate"
//
// The result is always the primary's answer (or its failure). When the candidate has a model it
// scores the same record right after the primary, and the two answers are compared: equal Values
// agree; two numbers agree when |primary - candidate| <= tolerance. strategy_stats counts compared,
// agreed (agreement_rate()), candidate_failed and the mean absolute difference of numeric answers;
// the candidate's own usage, durations and failures are in serving_stats "<data_type>/candidate".
// A record the primary cannot answer (no model yet) is not compared.
//
// answered_by: "primary", "primary (shadow agreed)", "primary (shadow disagreed)",
// "primary (shadow failed)".
// Per record: no heap allocation once the members' buffers have grown to size.
// Thread-safety: the engine belongs to one pipeline thread.

#include <scorestream/error.hpp>
#include <scorestream/serve/group.hpp>
#include <scorestream/serve/score.hpp>
#include <scorestream/serve/scorer.hpp>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

namespace scorestream::serve {

class shadow_engine;

struct shadow {
    using engine = shadow_engine;

    std::string primary = "primary";
    std::string candidate = "candidate";
    double tolerance = 0;  ///< numbers within this absolute difference agree
};

class shadow_engine : public engine_base {
public:
    static constexpr const char* kind = "shadow";

    explicit shadow_engine(shadow s) : opts_(std::move(s)) {
        if (opts_.primary.empty() || opts_.candidate.empty() || opts_.primary == opts_.candidate)
            throw invalid_value_error(
                "serve::shadow: primary and candidate need two different, non-empty roles");
        if (!(opts_.tolerance >= 0)) throw invalid_value_error("serve::shadow: tolerance must be >= 0");
        roles_ = {opts_.primary, opts_.candidate};
    }

    const std::vector<std::string>& roles() const noexcept { return roles_; }
    template <class G>
    void init(G&) {}

    template <class T>
    void serve(group<shadow_engine>& g, Scored<T>& out, member_scorer& sc) {
        member& p = g.members[0];
        member& c = g.members[1];
        strategy_stats& st = *g.stats;
        if (!p.installed()) {
            ++g.counters(p).absent;
            out.answered_by.assign("no primary");
            reason_.assign("no model for member '").append(p.role).append("' of data type '");
            reason_.append(g.data_type).append("'");
            member_scorer::no_answer(out, score_status::no_model, reason_);
            return;
        }
        const bool primary_ok = sc.score(p, out.record);
        member_scorer::answer(out, p);
        ++g.counters(p).answered;
        if (!primary_ok) ++g.counters(p).failed;
        out.answered_by.assign("primary");
        if (!c.installed()) {
            ++g.counters(c).absent;
            return;
        }
        // The candidate's time is spent on the pipeline thread but is not part of the answer's
        // duration: the output does not wait for it in spirit, only in fact.
        const bool candidate_ok = sc.score(c, out.record);
        if (!candidate_ok) ++g.counters(c).failed;
        if (!primary_ok) return;
        if (!candidate_ok) {
            ++st.candidate_failed;
            out.answered_by.append(" (shadow failed)");
            return;
        }
        ++st.compared;
        const Value& a = p.answer.value;
        const Value& b = c.answer.value;
        bool agree = a == b;
        if (a.is_number() && b.is_number()) {
            const double diff = std::fabs(a.as_number() - b.as_number());
            st.total_abs_diff += diff;
            ++st.numeric_compared;
            agree = agree || diff <= opts_.tolerance;
        }
        if (agree) ++st.agreed;
        out.answered_by.append(agree ? " (shadow agreed)" : " (shadow disagreed)");
    }

private:
    shadow opts_;
    std::vector<std::string> roles_;
    std::string reason_;
};

}  // namespace scorestream::serve
