#pragma once
// At-least-once bookkeeping: which consumed offsets are still being processed.
//
// Every record a kafka::data_source emits carries an offset_ref: a counted handle on its
// (partition, offset). While any handle on an offset exists, the offset is open, and the source never
// commits past it. Handles are
//   - moved along with the record through the pipeline (join, hold buffer, score, Scored<T>),
//   - copied into every message a Kafka sink produces for the record; that copy lives until the
//     producer's delivery report says the message is stored (a failed delivery is produced again),
//   - dropped when the record leaves the pipeline without output (filtered, dropped, or handed to a
//     sink that is not a Kafka sink and has returned).
// The commit position of a partition is its lowest open offset, or the next offset to read when none
// is open. So an offset is committed only after every output of every record up to it was
// acknowledged: a crash at any moment loses nothing; records after the last commit are read again
// (duplicates, never gaps).
//
// Thread-safety: none. A tracker, its handles, the source and the sinks belong to the pipeline's
// thread (delivery reports are served from the producers' poll(), which that thread calls).

#include <scorestream/stream/source.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace scorestream::kafka {

class offset_tracker;

/// A counted handle on one consumed offset; see the top of this header. Empty when default-built.
class offset_ref {
public:
    offset_ref() noexcept = default;
    offset_ref(const offset_ref& o) noexcept;
    offset_ref(offset_ref&& o) noexcept
        : t_(std::exchange(o.t_, nullptr)), slot_(o.slot_), gen_(o.gen_), offset_(o.offset_) {}
    offset_ref& operator=(const offset_ref& o) noexcept {
        if (this != &o) *this = offset_ref(o);
        return *this;
    }
    offset_ref& operator=(offset_ref&& o) noexcept {
        if (this != &o) {
            reset();
            t_ = std::exchange(o.t_, nullptr);
            slot_ = o.slot_;
            gen_ = o.gen_;
            offset_ = o.offset_;
        }
        return *this;
    }
    ~offset_ref() { reset(); }

    /// Gives the handle up: the offset is done as far as this handle is concerned.
    void reset() noexcept;

    bool empty() const noexcept { return t_ == nullptr; }
    explicit operator bool() const noexcept { return t_ != nullptr; }
    std::int64_t offset() const noexcept { return offset_; }
    std::uint32_t slot() const noexcept { return slot_; }
    /// The partition's topic and number (empty / -1 for an empty handle).
    const std::string& topic() const noexcept;
    std::int32_t partition() const noexcept;
    offset_tracker* tracker() const noexcept { return t_; }

private:
    friend class offset_tracker;
    offset_ref(offset_tracker* t, std::uint32_t slot, std::uint32_t gen, std::int64_t offset) noexcept;

    offset_tracker* t_ = nullptr;
    std::uint32_t slot_ = 0;
    std::uint32_t gen_ = 0;
    std::int64_t offset_ = -1;
};

/// Open offsets per partition, the commit positions they allow, and the channel through which sinks
/// report problems to the source (which hands them to the pipeline's error handler).
/// Lifetime: counted by its users (the source, sinks and every offset_ref), so handles kept by a user
/// sink after the pipeline is gone stay valid.
class offset_tracker {
public:
    /// A new tracker, held once by the caller (release with drop()).
    static offset_tracker* create() { return new offset_tracker(); }
    void retain() noexcept { ++users_; }
    void drop() noexcept {
        if (--users_ == 0) delete this;
    }

    /// The slot of a partition (created on first use). Slots are never removed.
    std::uint32_t slot(std::string_view topic, std::int32_t partition) {
        if (last_ < slots_.size() && slots_[last_].partition == partition && slots_[last_].topic == topic)
            return static_cast<std::uint32_t>(last_);
        for (std::size_t i = 0; i < slots_.size(); ++i)
            if (slots_[i].partition == partition && slots_[i].topic == topic) {
                last_ = i;
                return static_cast<std::uint32_t>(i);
            }
        slots_.push_back(partition_state{std::string(topic), partition, 0, -1, -1, {}, true});
        last_ = slots_.size() - 1;
        return static_cast<std::uint32_t>(last_);
    }

    /// Records that `offset` of the slot was read, and returns the handle that keeps it open.
    offset_ref open(std::uint32_t slot, std::int64_t offset) {
        partition_state& p = slots_[slot];
        p.active = true;
        p.open.push_back(entry{offset, 1});
        p.next = std::max(p.next, offset + 1);
        return offset_ref(this, slot, p.generation, offset);
    }

    /// Forgets a partition's open offsets (it was revoked, or the position was reset): handles from
    /// before keep nothing open any more, and nothing is committed for it until it is read again.
    void reset_partition(std::uint32_t slot) {
        partition_state& p = slots_[slot];
        ++p.generation;
        p.open.clear();
        p.next = -1;
        p.active = false;
    }

    /// The offset to commit for a slot now (the lowest open offset, or the next offset to read),
    /// or -1 when nothing has been read in the current assignment.
    std::int64_t commit_position(std::uint32_t slot) const {
        const partition_state& p = slots_[slot];
        if (!p.active || p.next < 0) return -1;
        return p.open.empty() ? p.next : p.open.front().offset;
    }

    /// Positions that moved past what was last committed, as (slot, offset); call mark_committed()
    /// for those that were committed.
    template <class F>
    void for_each_pending_commit(F&& f) const {
        for (std::size_t i = 0; i < slots_.size(); ++i) {
            const std::int64_t at = commit_position(static_cast<std::uint32_t>(i));
            if (at >= 0 && at > slots_[i].committed) f(static_cast<std::uint32_t>(i), at);
        }
    }
    void mark_committed(std::uint32_t slot, std::int64_t offset) {
        slots_[slot].committed = std::max(slots_[slot].committed, offset);
    }
    /// Sets the committed position known from the broker (at assignment), so it is not sent again.
    void set_committed(std::uint32_t slot, std::int64_t offset) { slots_[slot].committed = offset; }
    /// The last position committed for a slot, -1 when none.
    std::int64_t committed(std::uint32_t slot) const noexcept { return slots_[slot].committed; }

    std::size_t slot_count() const noexcept { return slots_.size(); }
    const std::string& topic(std::uint32_t slot) const noexcept { return slots_[slot].topic; }
    std::int32_t partition(std::uint32_t slot) const noexcept { return slots_[slot].partition; }
    /// Offsets read and not yet done, over all partitions.
    std::size_t open_count() const noexcept {
        std::size_t n = 0;
        for (const auto& p : slots_)
            for (const auto& e : p.open) n += e.refs > 0 ? 1 : 0;
        return n;
    }

    // ---- sinks and problems -------------------------------------------------------------------

    /// A sink's hook to serve its producer's delivery reports; the source calls every hook when it is
    /// idle and before it commits, so acknowledgements flow even when no record arrives.
    std::size_t add_poller(std::function<void()> poll) {
        pollers_.push_back({++next_poller_, std::move(poll)});
        return pollers_.back().id;
    }
    void remove_poller(std::size_t id) {
        pollers_.erase(
            std::remove_if(pollers_.begin(), pollers_.end(), [&](const poller& p) { return p.id == id; }),
            pollers_.end());
    }
    void poll_sinks() {
        for (std::size_t i = 0; i < pollers_.size(); ++i) pollers_[i].poll();
    }

    /// A problem found away from the source (a failed delivery, a broker error in a sink): the
    /// source reports it through the pipeline's error handler at its next call.
    void report(record_error e) {
        if (problems_.size() < 1000) problems_.push_back(std::move(e));
    }
    bool take_problem(record_error& out) {
        if (problems_.empty()) return false;
        out = std::move(problems_.front());
        problems_.pop_front();
        return true;
    }

private:
    friend class offset_ref;
    struct entry {
        std::int64_t offset;
        std::uint32_t refs;
    };
    struct partition_state {
        std::string topic;
        std::int32_t partition;
        std::uint32_t generation;
        std::int64_t next;       ///< one past the highest offset read, -1 when none
        std::int64_t committed;  ///< the last position committed, -1 when unknown
        std::deque<entry> open;  ///< read offsets in increasing order, front pruned when done
        bool active;
    };
    struct poller {
        std::size_t id;
        std::function<void()> poll;
    };

    offset_tracker() = default;

    entry* find(partition_state& p, std::int64_t offset) noexcept {
        if (!p.open.empty() && p.open.front().offset == offset) return &p.open.front();
        auto it = std::lower_bound(p.open.begin(), p.open.end(), offset,
                                   [](const entry& e, std::int64_t o) { return e.offset < o; });
        return it != p.open.end() && it->offset == offset ? &*it : nullptr;
    }
    void add_ref(std::uint32_t slot, std::uint32_t gen, std::int64_t offset) noexcept {
        partition_state& p = slots_[slot];
        if (p.generation != gen) return;
        if (entry* e = find(p, offset)) ++e->refs;
    }
    void release(std::uint32_t slot, std::uint32_t gen, std::int64_t offset) noexcept {
        partition_state& p = slots_[slot];
        if (p.generation != gen) return;
        if (entry* e = find(p, offset); e && e->refs > 0) --e->refs;
        while (!p.open.empty() && p.open.front().refs == 0) p.open.pop_front();
    }

    std::vector<partition_state> slots_;
    std::size_t last_ = 0;
    std::size_t users_ = 1;
    std::vector<poller> pollers_;
    std::size_t next_poller_ = 0;
    std::deque<record_error> problems_;
};

inline offset_ref::offset_ref(offset_tracker* t, std::uint32_t slot, std::uint32_t gen,
                              std::int64_t offset) noexcept
    : t_(t), slot_(slot), gen_(gen), offset_(offset) {
    t_->retain();
}

inline offset_ref::offset_ref(const offset_ref& o) noexcept
    : t_(o.t_), slot_(o.slot_), gen_(o.gen_), offset_(o.offset_) {
    if (t_) {
        t_->retain();
        t_->add_ref(slot_, gen_, offset_);
    }
}

inline void offset_ref::reset() noexcept {
    if (!t_) return;
    offset_tracker* t = std::exchange(t_, nullptr);
    t->release(slot_, gen_, offset_);
    t->drop();
}

inline const std::string& offset_ref::topic() const noexcept {
    static const std::string none;
    return t_ ? t_->topic(slot_) : none;
}
inline std::int32_t offset_ref::partition() const noexcept { return t_ ? t_->partition(slot_) : -1; }

}  // namespace scorestream::kafka

namespace scorestream::kafka {

/// Shared between a control source and the data sources that wait for it: data is scored only
/// after the control topic was read up to the high-water mark it had at start (the bootstrap rule).
struct bootstrap_state {
    bool caught_up = false;
};

}  // namespace scorestream::kafka
