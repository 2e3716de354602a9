#pragma once
// Serving statistics: per data type, the models that served it (current last) with usage, durations
// and latency quantiles, and the updates that were rejected. Recording costs a few arithmetic
// operations and never allocates.
// Thread-safety: owned by one pipeline partition and written by it alone; read it from that thread
// or take a snapshot there (the queryable-state layer publishes snapshots for other threads).

#include <scorestream/model/model.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace scorestream {

/// Milliseconds since the Unix epoch, for `since` and error timestamps.
inline std::int64_t now_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

/// A log-linear histogram of durations in nanoseconds: exact below 16 ns, then 16 buckets per
/// power of two (relative error under 6.25%). Fixed size, no allocation.
class latency_histogram {
public:
    static constexpr int sub_bits = 4;
    static constexpr std::size_t sub_count = std::size_t{1} << sub_bits;
    static constexpr std::size_t bucket_count = sub_count + (64 - sub_bits) * sub_count;

    void record(std::uint64_t ns) noexcept {
        ++buckets_[bucket_of(ns)];
        ++count_;
    }

    std::uint64_t count() const noexcept { return count_; }

    /// The q-quantile (0 <= q <= 1) as the midpoint of the bucket holding it; 0 when empty.
    std::uint64_t quantile(double q) const noexcept {
        if (count_ == 0) return 0;
        q = std::clamp(q, 0.0, 1.0);
        auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_));
        if (rank >= count_) rank = count_ - 1;
        std::uint64_t seen = 0;
        for (std::size_t b = 0; b < bucket_count; ++b) {
            seen += buckets_[b];
            if (seen > rank) return midpoint(b);
        }
        return midpoint(bucket_count - 1);
    }

    void merge(const latency_histogram& other) noexcept {
        for (std::size_t b = 0; b < bucket_count; ++b) buckets_[b] += other.buckets_[b];
        count_ += other.count_;
    }

    std::uint64_t bucket(std::size_t b) const noexcept { return buckets_[b]; }
    /// Smallest value that falls into bucket b.
    static std::uint64_t lower_bound(std::size_t b) noexcept {
        if (b < sub_count) return b;
        const std::size_t msb = (b - sub_count) / sub_count + sub_bits;
        const std::uint64_t sub = (b - sub_count) % sub_count;
        return (std::uint64_t{1} << msb) | (sub << (msb - sub_bits));
    }

    static std::size_t bucket_of(std::uint64_t ns) noexcept {
        if (ns < sub_count) return static_cast<std::size_t>(ns);
        const int msb = 63 - __builtin_clzll(ns);
        const std::uint64_t sub = (ns >> (msb - sub_bits)) & (sub_count - 1);
        return sub_count + static_cast<std::size_t>(msb - sub_bits) * sub_count +
               static_cast<std::size_t>(sub);
    }

private:
    static std::uint64_t midpoint(std::size_t b) noexcept {
        if (b < sub_count) return b;
        const std::uint64_t lo = lower_bound(b);
        const std::size_t msb = (b - sub_count) / sub_count + sub_bits;
        const std::uint64_t width = std::uint64_t{1} << (msb - sub_bits);
        return lo + width / 2;
    }

    std::array<std::uint64_t, bucket_count> buckets_{};
    std::uint64_t count_ = 0;
};

/// Statistics of one model while (and after) it served one data type.
struct model_stats {
    std::string name;
    std::string version;
    std::string description;
    std::string type;
    std::int64_t since_ms = 0;   ///< when it started serving
    std::int64_t until_ms = 0;   ///< when it was replaced (0 while serving)
    std::uint64_t usage = 0;     ///< records it scored (successfully or not)
    std::uint64_t failures = 0;  ///< records it could not score
    std::uint64_t timed = 0;     ///< records whose duration was measured
    std::uint64_t total_ns = 0;
    std::uint64_t min_ns = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t max_ns = 0;
    latency_histogram latency;
    std::vector<std::string> absent_inputs;  ///< model inputs the records' layout lacks (seen as missing)

    static model_stats for_model(const ModelIdentity& id, std::int64_t since) {
        model_stats s;
        s.name = id.name;
        s.version = id.version;
        s.description = id.description;
        s.type = id.type;
        s.since_ms = since;
        return s;
    }

    void record_duration(std::uint64_t ns) noexcept {
        ++timed;
        total_ns += ns;
        min_ns = std::min(min_ns, ns);
        max_ns = std::max(max_ns, ns);
        latency.record(ns);
    }
    double mean_ns() const noexcept { return timed ? double(total_ns) / double(timed) : 0.0; }
    std::uint64_t min_duration_ns() const noexcept { return timed ? min_ns : 0; }
};

/// Statistics of one data type: its models, newest last, and what happened to its updates.
struct data_type_stats {
    static constexpr std::size_t history_limit = 16;  ///< retired models kept besides the current one

    std::deque<model_stats> models;  ///< current model is models.back() when has_model()
    bool has_model = false;
    std::uint64_t accepted_updates = 0;
    std::uint64_t rejected_updates = 0;
    std::string last_error;  ///< reason of the last rejected update or failed record
    std::int64_t last_error_ms = 0;
    std::uint64_t unscored = 0;  ///< records emitted with no model
    std::uint64_t dropped = 0;   ///< records dropped by the before-model policy

    model_stats* current() noexcept { return has_model ? &models.back() : nullptr; }
    const model_stats* current() const noexcept { return has_model ? &models.back() : nullptr; }

    /// Starts the stats of a newly installed model. Returned reference stays valid until
    /// history_limit further installs (std::deque keeps references on push_back/pop_front).
    /// The new entry is built in place (a model_stats is about 8 KB, most of it the histogram):
    /// in an update storm this runs once per update in every partition.
    model_stats& install(const ModelIdentity& id) {
        const auto t = now_ms();
        if (has_model) models.back().until_ms = t;
        while (models.size() > history_limit) models.pop_front();  // never the current one
        model_stats& s = models.emplace_back();
        s.name = id.name;
        s.version = id.version;
        s.description = id.description;
        s.type = id.type;
        s.since_ms = t;
        has_model = true;
        ++accepted_updates;
        return s;
    }

    void reject(std::string_view reason) {
        ++rejected_updates;
        note_error(reason);
    }
    /// Records the latest error; assigns in place, so a stream of failing records does not allocate.
    void note_error(std::string_view reason) {
        last_error.assign(reason.data(), reason.size());
        last_error_ms = now_ms();
    }
};

/// Stats of every data type one pipeline serves. The table is bounded: records of a data type
/// first seen when `max_data_types` are already tracked (garbage routing keys in bad input, say)
/// are counted under overflow_key, so bad input cannot grow it without limit.
class serving_stats {
public:
    static constexpr std::size_t max_data_types = 4096;
    static constexpr std::string_view overflow_key = "(other data types)";

    data_type_stats& of(std::string_view data_type) {
        auto it = by_type_.find(data_type);
        if (it == by_type_.end()) {
            if (by_type_.size() >= max_data_types) data_type = overflow_key;
            it = by_type_.find(data_type);
            if (it == by_type_.end()) it = by_type_.emplace(std::string(data_type), data_type_stats{}).first;
        }
        return it->second;
    }
    const data_type_stats* find(std::string_view data_type) const {
        auto it = by_type_.find(data_type);
        return it == by_type_.end() ? nullptr : &it->second;
    }
    const std::map<std::string, data_type_stats, std::less<>>& all() const noexcept { return by_type_; }

private:
    std::map<std::string, data_type_stats, std::less<>> by_type_;
};

}  // namespace scorestream
