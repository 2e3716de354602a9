#pragma once
// Consensus: three or more member models score every record; the result is their majority vote
// (classification) or their median (regression).
//
//     join(models, registry, serve::consensus{{"a", "b", "c"}}) | serve::score()
//
// Only members that have a model and answer take part. With fewer than `min_answers` answers the
// record fails with the reason ("no quorum: 1 of 3 members answered, 2 needed").
//
// Vote: answers that are equal Values (same category, or the same number) form one vote. The value
// with most votes wins. A tie for the most votes is broken by member order: the tied value whose
// first voter comes first in `members` wins, and the tie is counted (strategy_stats::ties).
// Median: the answers sorted by value (equal values keep member order); with an odd count the
// middle one, with an even count the lower of the two middle ones, so that the result is always one
// member's actual answer and can be traced to that model.
// Mode automatic: median when every answer is a number, vote otherwise; vote and median force one.
//
// answered_by: "vote 3 of 3: a, b, c", "vote 2 of 3: a, c", "vote 1 of 3 (tie, member order): a",
// "median of 3: b". The result's model is the first member whose answer is the result.
// Per record: no heap allocation once the members' buffers have grown to size.
// Thread-safety: the engine belongs to one pipeline thread.

#include <scorestream/error.hpp>
#include <scorestream/serve/group.hpp>
#include <scorestream/serve/score.hpp>
#include <scorestream/serve/scorer.hpp>

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace scorestream::serve {

enum class consensus_mode : std::uint8_t {
    automatic,  ///< median when every answer is a number, vote otherwise
    vote,       ///< majority vote (classification; numbers vote by exact value)
    median,     ///< median (regression; a non-numeric answer makes the record fail)
};

class consensus_engine;

struct consensus {
    using engine = consensus_engine;

    std::vector<std::string> members;  ///< three or more roles, in tie-breaking order
    consensus_mode mode = consensus_mode::automatic;
    std::size_t min_answers = 0;  ///< answers needed; 0 means a majority of members (n / 2 + 1)
};

class consensus_engine : public engine_base {
public:
    static constexpr const char* kind = "consensus";

    explicit consensus_engine(consensus c) : opts_(std::move(c)) {
        const auto n = opts_.members.size();
        if (n < 3)
            throw invalid_value_error("serve::consensus needs three or more members, got " +
                                      std::to_string(n));
        for (std::size_t i = 0; i < n; ++i) {
            if (opts_.members[i].empty()) throw invalid_value_error("serve::consensus: empty member role");
            for (std::size_t k = 0; k < i; ++k)
                if (opts_.members[k] == opts_.members[i])
                    throw invalid_value_error("serve::consensus: member '" + opts_.members[i] + "' twice");
        }
        if (opts_.min_answers == 0) opts_.min_answers = n / 2 + 1;
        if (opts_.min_answers > n)
            throw invalid_value_error("serve::consensus: min_answers " + std::to_string(opts_.min_answers) +
                                      " is more than the " + std::to_string(n) + " members");
        answers_.reserve(n);
    }

    const std::vector<std::string>& roles() const noexcept { return opts_.members; }
    template <class G>
    void init(G&) {}

    template <class T>
    void serve(group<consensus_engine>& g, Scored<T>& out, member_scorer& sc) {
        strategy_stats& st = *g.stats;
        answers_.clear();
        bool all_numbers = true;
        for (auto& m : g.members) {
            if (!m.installed()) {
                ++g.counters(m).absent;
                continue;
            }
            if (sc.score(m, out.record)) {
                answers_.push_back(&m);
                all_numbers = all_numbers && m.answer.value.is_number();
            } else {
                ++g.counters(m).failed;
            }
            out.duration += m.duration;
        }
        const std::size_t n = answers_.size();
        if (n < opts_.min_answers) {
            ++st.no_quorum;
            out.answered_by.assign("no quorum");
            reason_.assign("no quorum: ");
            detail::append_count(reason_, n);
            reason_.append(" of ");
            detail::append_count(reason_, g.members.size());
            reason_.append(" members answered, ");
            detail::append_count(reason_, opts_.min_answers);
            reason_.append(" needed");
            member_scorer::no_answer(out, score_status::failed, reason_);
            return;
        }
        const bool median =
            opts_.mode == consensus_mode::median || (opts_.mode == consensus_mode::automatic && all_numbers);
        if (median) {
            serve_median(g, out, all_numbers);
        } else {
            serve_vote(g, out);
        }
    }

private:
    template <class T>
    void serve_vote(group<consensus_engine>& g, Scored<T>& out) {
        strategy_stats& st = *g.stats;
        const std::size_t n = answers_.size();
        // answers_ is in member order: the first value reaching the top count wins a tie.
        std::size_t best = 0, best_votes = 0;
        bool tie = false;
        for (std::size_t i = 0; i < n; ++i) {
            const Value& v = answers_[i]->answer.value;
            bool seen = false;
            for (std::size_t k = 0; k < i && !seen; ++k) seen = answers_[k]->answer.value == v;
            if (seen) continue;  // this value was counted at its first voter
            std::size_t votes = 0;
            for (std::size_t k = i; k < n; ++k) votes += answers_[k]->answer.value == v ? 1 : 0;
            if (votes > best_votes) {
                best = i;
                best_votes = votes;
                tie = false;
            } else if (votes == best_votes) {
                tie = true;
            }
        }
        const Value winner = answers_[best]->answer.value;
        member& m = *answers_[best];
        member_scorer::answer(out, m.model, m.answer);
        ++g.counters(m).answered;
        if (best_votes == n) ++st.unanimous;
        if (best_votes * 2 > n) ++st.majority;
        if (tie) ++st.ties;
        out.answered_by.assign("vote ");
        detail::append_count(out.answered_by, best_votes);
        out.answered_by.append(" of ");
        detail::append_count(out.answered_by, n);
        if (tie) out.answered_by.append(" (tie, member order)");
        out.answered_by.append(": ");
        bool first = true;
        for (const member* a : answers_) {
            if (!(a->answer.value == winner)) continue;
            if (!first) out.answered_by.append(", ");
            out.answered_by.append(a->role);
            first = false;
        }
    }

    template <class T>
    void serve_median(group<consensus_engine>& g, Scored<T>& out, bool all_numbers) {
        if (!all_numbers) {
            ++g.stats->no_quorum;
            out.answered_by.assign("no median");
            member_scorer::no_answer(out, score_status::failed,
                                     "consensus median: a member answered with a non-numeric value");
            return;
        }
        // Insertion sort: stable (equal values keep member order), allocation-free, and the member
        // count is small. (std::stable_sort may allocate a buffer on every call.)
        for (std::size_t i = 1; i < answers_.size(); ++i) {
            member* a = answers_[i];
            std::size_t k = i;
            for (; k > 0 && a->answer.value.as_number() < answers_[k - 1]->answer.value.as_number(); --k)
                answers_[k] = answers_[k - 1];
            answers_[k] = a;
        }
        const std::size_t n = answers_.size();
        member& m = *answers_[(n - 1) / 2];
        member_scorer::answer(out, m.model, m.answer);
        ++g.counters(m).answered;
        out.answered_by.assign("median of ");
        detail::append_count(out.answered_by, n);
        out.answered_by.append(": ");
        out.answered_by.append(m.role);
    }

    consensus opts_;
    std::vector<member*> answers_;  // members that answered the current record, in member order
    std::string reason_;
};

}  // namespace scorestream::serve
