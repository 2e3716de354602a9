#pragma once
// state_board: where running pipelines publish snapshots of their counters and serving stats, and
// where other threads (the HTTP endpoint of scorestream::query, a monitoring loop, a test) read
// them. A snapshot is an immutable copy, so readers never touch the live stats.
//
//     state_board board;
//     pipeline.publish_to(board, {"wine-scoring"});  // published while the pipeline runs
//     auto snap = board.latest("wine-scoring");      // from any thread
//
// The data path never waits for a reader: publish() only tries the lock, and a snapshot that could
// not be published now is published at the pipeline's next opportunity.
// Thread-safety: every member may be called from any thread.

#include <scorestream/model/stats.hpp>
#include <scorestream/serve/stats.hpp>
#include <scorestream/stream/context.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace scorestream {

/// An immutable copy of one pipeline's (or partition's) state at one moment.
struct pipeline_snapshot {
    std::string name;
    std::int64_t taken_at_ms = 0;
    std::uint64_t sequence = 0;  ///< increases with every snapshot of this pipeline
    bool finished = false;       ///< the pipeline's stream has ended
    pipeline_counters counters;
    serving_stats stats;
    /// Serving-strategy stats by data type (serve::join): fallbacks, votes, A/B arm counts, shadow
    /// agreement. Empty for pipelines without a serving join. When two serving joins of one
    /// pipeline serve the same data type, the first one's are shown.
    std::map<std::string, serve::strategy_stats, std::less<>> strategies;
};
using snapshot_ptr = std::shared_ptr<const pipeline_snapshot>;

class state_board {
public:
    /// Replaces the snapshot published under s->name. Returns false, without waiting, when a reader
    /// holds the board at this instant; the caller keeps its snapshot and tries again later.
    bool try_publish(snapshot_ptr s) {
        std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
        if (!lock.owns_lock()) return false;
        by_name_[s->name] = std::move(s);
        return true;
    }

    /// Replaces the snapshot published under s->name, waiting for the lock (not for the data path).
    void publish(snapshot_ptr s) {
        std::lock_guard<std::mutex> lock(mutex_);
        by_name_[s->name] = std::move(s);
    }

    /// The latest snapshot published under `name`, or null.
    snapshot_ptr latest(std::string_view name) const {
        std::lock_guard<std::mutex> lock(mutex_);
        auto it = by_name_.find(name);
        return it == by_name_.end() ? nullptr : it->second;
    }

    /// The latest snapshot of every pipeline, by name.
    std::vector<snapshot_ptr> all() const {
        std::lock_guard<std::mutex> lock(mutex_);
        std::vector<snapshot_ptr> out;
        out.reserve(by_name_.size());
        for (const auto& kv : by_name_) out.push_back(kv.second);
        return out;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, snapshot_ptr, std::less<>> by_name_;
};

struct publish_options {
    std::string name = "pipeline";         ///< the name readers find the snapshots under
    std::uint64_t every_records = 10000;   ///< publish after this many records...
    std::chrono::milliseconds every{100};  ///< ...or this much time, whichever first
};

/// The pipeline side of publishing: decides when a snapshot is due and takes it.
class snapshot_publisher {
public:
    snapshot_publisher(state_board& board, publish_options opts) : board_(&board), opts_(std::move(opts)) {}

    /// Called by the pipeline after each poll; cheap when nothing is due (one clock read per call).
    void maybe_publish(const pipeline_context& ctx, bool finished, bool force = false) {
        const auto now = std::chrono::steady_clock::now();
        const bool due = force || finished || pending_ ||
                         ctx.counters.records_in - last_records_ >= opts_.every_records ||
                         now - last_time_ >= opts_.every;
        if (!due) return;
        if (!pending_) pending_ = take(ctx, finished);
        const bool must = finished || force;  // off the data path: may wait for the lock
        if (must ? (board_->publish(pending_), true) : board_->try_publish(pending_)) {
            pending_.reset();
            last_records_ = ctx.counters.records_in;
            last_time_ = now;
        }
    }

private:
    snapshot_ptr take(const pipeline_context& ctx, bool finished) {
        auto s = std::make_shared<pipeline_snapshot>();
        s->name = opts_.name;
        s->taken_at_ms = now_ms();
        s->sequence = ++sequence_;
        s->finished = finished;
        s->counters = ctx.counters;
        s->stats = ctx.stats;
        for (const serve::serve_stats* source : ctx.strategies)
            for (const auto& [data_type, st] : source->all()) s->strategies.emplace(data_type, st);
        return s;
    }

    state_board* board_;
    publish_options opts_;
    snapshot_ptr pending_;
    std::uint64_t last_records_ = 0;
    std::uint64_t sequence_ = 0;
    std::chrono::steady_clock::time_point last_time_{};
};

}  // namespace scorestream
