#pragma once
// Strategy stats: what a serving strategy did per data type (fallbacks, votes, arm counts, shadow
// agreement), as plain data. Kept apart from the strategies so that a pipeline's snapshot
// (stream/state_board.hpp) can carry them without depending on the serving code.
//
// A serving join registers its serve_stats with its pipeline's context, so every snapshot the
// pipeline publishes (pipeline_snapshot::strategies) holds a copy, and scorestream::query shows them
// in /state/{data_type} and /metrics.
// Thread-safety: written by the pipeline thread; read it there (e.g. between polls), or read a
// snapshot's copy from any thread.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace scorestream::serve {

/// What a strategy did for each member of a data type.
struct member_counters {
    std::string role;
    std::uint64_t answered = 0;  ///< results whose answer is this member's (wins, arm hits, in time)
    std::uint64_t failed = 0;    ///< records this member was asked for and could not score
    std::uint64_t absent = 0;    ///< records this member would have been asked for but had no model
};

/// Per data type counters of a strategy. Only the fields of the strategy in use move.
struct strategy_stats {
    std::string strategy;              ///< "deadline", "consensus", "best_quality", "ab_split", "shadow"
    std::uint64_t records = 0;         ///< records served by the group
    std::uint64_t unanswered = 0;      ///< records no member could answer (status failed / no_model)
    std::uint64_t config_updates = 0;  ///< accepted "serve.config" messages
    std::uint64_t rejected_config = 0;
    std::vector<member_counters> members;  ///< in the strategy's member order

    // deadline
    std::uint64_t primary_in_time = 0;  ///< answered by the primary within the budget
    std::uint64_t fallbacks = 0;        ///< answered by the fallback, for whatever reason
    std::uint64_t over_budget = 0;      ///< primaries still running at the deadline
    std::uint64_t primary_failed = 0;   ///< primaries that finished in time with an error
    std::uint64_t primary_busy = 0;     ///< records sent to the fallback because every run slot was taken
    std::uint64_t late_discarded = 0;   ///< late primary results that arrived and were thrown away
    // consensus
    std::uint64_t unanimous = 0;  ///< every answering member agreed
    std::uint64_t majority = 0;   ///< more than half of the answers agreed (unanimous included)
    std::uint64_t ties = 0;       ///< the top vote count was shared: member order decided
    std::uint64_t no_quorum = 0;  ///< fewer answers than min_answers
    // shadow
    std::uint64_t compared = 0;          ///< records both primary and candidate answered
    std::uint64_t agreed = 0;            ///< ... and agreed (within the tolerance)
    std::uint64_t candidate_failed = 0;  ///< candidate failed while the primary answered
    double total_abs_diff = 0;           ///< sum of |primary - candidate| over numeric comparisons
    std::uint64_t numeric_compared = 0;

    double agreement_rate() const noexcept { return compared ? double(agreed) / double(compared) : 0.0; }
    double mean_abs_diff() const noexcept {
        return numeric_compared ? total_abs_diff / double(numeric_compared) : 0.0;
    }
    member_counters* member(std::string_view role) noexcept {
        for (auto& m : members)
            if (m.role == role) return &m;
        return nullptr;
    }
    const member_counters* member(std::string_view role) const noexcept {
        return const_cast<strategy_stats*>(this)->member(role);
    }
};

/// Strategy stats of every data type a serving join serves.
/// Thread-safety: written by the pipeline thread; read it there (e.g. between polls).
class serve_stats {
public:
    strategy_stats& of(std::string_view data_type) {
        auto it = by_type_.find(data_type);
        if (it == by_type_.end()) it = by_type_.emplace(std::string(data_type), strategy_stats{}).first;
        return it->second;
    }
    const strategy_stats* find(std::string_view data_type) const {
        auto it = by_type_.find(data_type);
        return it == by_type_.end() ? nullptr : &it->second;
    }
    const std::map<std::string, strategy_stats, std::less<>>& all() const noexcept { return by_type_; }

private:
    std::map<std::string, strategy_stats, std::less<>> by_type_;
};

}  // namespace scorestream::serve
