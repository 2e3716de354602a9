// The record-type-independent part of kafka::data_source: consumer, commits, dead letters.

#include <scorestream/io/detail/line_reader.hpp>
#include <scorestream/kafka/data_source.hpp>

#include <algorithm>
#include <iostream>

namespace scorestream::kafka::detail {

namespace {
using clock_type = std::chrono::steady_clock;
}

struct source_core::impl {
    source_core& self;
    data_source_options opts;
    std::unique_ptr<consumer> cons;
    std::unique_ptr<producer> dead_letters;
    clock_type::time_point last_commit = clock_type::now();
    bool idle_before = false;
    bool closed = false;
    bool committing_allowed = true;
    std::string last_problem;
    clock_type::time_point last_problem_at{};
    std::string error_text;

    impl(source_core& s, data_source_options o) : self(s), opts(std::move(o)) {}

    // Positions ready to commit (optionally every active position, even if sent before).
    std::vector<topic_partition> positions(bool all) {
        std::vector<topic_partition> out;
        offset_tracker& t = *self.tracker_;
        if (all) {
            for (std::uint32_t s = 0; s < t.slot_count(); ++s) {
                const std::int64_t at = t.commit_position(s);
                if (at >= 0) out.push_back({t.topic(s), t.partition(s), at});
            }
        } else {
            t.for_each_pending_commit([&](std::uint32_t s, std::int64_t at) {
                out.push_back({t.topic(s), t.partition(s), at});
            });
        }
        return out;
    }

    void commit_positions(const std::vector<topic_partition>& ps, bool sync) {
        if (ps.empty() || !committing_allowed) return;
        std::string err;
        ++self.stats_.commits;
        if (cons->commit(ps, sync, err)) {
            offset_tracker& t = *self.tracker_;
            for (const auto& p : ps) t.mark_committed(t.slot(p.topic, p.partition), p.offset);
        } else {
            ++self.stats_.commit_errors;
            problem("commit failed: " + err);
        }
    }

    void poll_acknowledgements() {
        self.tracker_->poll_sinks();
        if (dead_letters) dead_letters->poll(0);
    }

    // Rate-limited: the same problem at most every 5 s, reported through the pipeline's handler.
    void problem(const std::string& what) {
        const auto now = clock_type::now();
        if (what == last_problem && now - last_problem_at < std::chrono::seconds(5)) return;
        last_problem = what;
        last_problem_at = now;
        self.tracker_->report(record_error{opts.name, "", "kafka: " + what, ""});
    }

    void on_rebalance(bool assigned, const std::vector<topic_partition>& parts) {
        ++self.stats_.rebalances;
        offset_tracker& t = *self.tracker_;
        if (!assigned && committing_allowed && !closed) {
            // Commit what is done in the partitions we lose; their open records are read again by the
            // next owner (duplicates, not losses).
            poll_acknowledgements();
            std::vector<topic_partition> ps;
            for (const auto& p : parts) {
                const std::int64_t at = t.commit_position(t.slot(p.topic, p.partition));
                if (at >= 0) ps.push_back({p.topic, p.partition, at});
            }
            commit_positions(ps, true);
        }
        for (const auto& p : parts) t.reset_partition(t.slot(p.topic, p.partition));
    }
};

source_core::source_core(data_source_options o) : tracker_(offset_tracker::create()) {
    if (o.group_id.empty()) {
        tracker_->drop();
        throw invalid_value_error("kafka::data_source: group_id is required");
    }
    if (o.topics.empty()) {
        tracker_->drop();
        throw invalid_value_error("kafka::data_source: at least one topic");
    }
    if (o.name.empty())
        for (const auto& t : o.topics) o.name += (o.name.empty() ? "" : ",") + t;
    try {
        impl_ = std::make_unique<impl>(*this, std::move(o));
        auto& op = impl_->opts;
        client_config cc = op.client;
        for (const auto& [k, v] : op.consumer_properties) cc.properties[k] = v;
        impl_->cons = std::make_unique<consumer>(cc, op.group_id,
                                                 std::map<std::string, std::string>{
                                                     {"auto.offset.reset", op.auto_offset_reset},
                                                 });
        impl_->cons->batch(op.consume_batch);
        impl_->cons->on_rebalance([this](bool assigned, const std::vector<topic_partition>& parts) {
            impl_->on_rebalance(assigned, parts);
        });
        if (!op.dead_letter_topic.empty()) {
            const client_config& dc =
                op.dead_letter_client.brokers.empty() ? op.client : op.dead_letter_client;
            impl_->dead_letters = std::make_unique<producer>(
                dc,
                [this](void* opaque) {
                    ++stats_.dead_lettered;
                    delete static_cast<offset_ref*>(opaque);
                },
                [this](const std::string& topic, const std::string& what) {
                    impl_->problem("dead-letter producer: " + (topic.empty() ? "" : topic + ": ") + what);
                });
        }
        impl_->cons->subscribe(op.topics);
    } catch (...) {
        impl_.reset();
        tracker_->drop();
        throw;
    }
}

source_core::~source_core() {
    if (impl_) {
        // No commit here: records held or in flight may have been dropped by the pipeline's
        // teardown, so their offsets are not done. close() is the clean way out.
        impl_->committing_allowed = false;
        if (impl_->dead_letters) {
            impl_->dead_letters->flush(2000);
            impl_->dead_letters->discard([](void* opaque) { delete static_cast<offset_ref*>(opaque); });
        }
        impl_->cons->close();
        impl_.reset();
    }
    tracker_->drop();
}

source_core::step source_core::fetch(message_view& m, offset_ref& ref) {
    impl& s = *impl_;
    if (tracker_->take_problem(error_)) {
        ++stats_.broker_errors;
        return step::error;
    }
    if (s.closed) return step::idle;
    const auto now = clock_type::now();
    if (now - s.last_commit >= s.opts.commit_interval) {
        s.last_commit = now;
        s.poll_acknowledgements();
        s.commit_positions(s.positions(false), false);
    }
    if (gate_ && !gate_->caught_up) {
        s.poll_acknowledgements();
        return step::idle;
    }
    const int wait = s.idle_before ? static_cast<int>(s.opts.idle_wait.count()) : 0;
    std::string err;
    switch (s.cons->poll(wait, m, err)) {
        case consumer::status::none:
            if (!s.idle_before) s.poll_acknowledgements();
            s.idle_before = true;
            return step::idle;
        case consumer::status::error:
            s.idle_before = true;  // wait inside the consumer next time: no spinning on a dead broker
            s.problem(err);
            if (tracker_->take_problem(error_)) {
                ++stats_.broker_errors;
                return step::error;
            }
            return step::idle;
        case consumer::status::message:
            break;
    }
    s.idle_before = false;
    ++stats_.messages;
    const std::uint32_t slot = tracker_->slot(m.topic, m.partition);
    ref = tracker_->open(slot, m.offset);
    return step::message;
}

source_core::step source_core::poison(const message_view& m, offset_ref ref, std::string why) {
    impl& s = *impl_;
    ++stats_.poison;
    error_.source = std::string(m.topic);
    error_.where = "partition " + std::to_string(m.partition) + " offset " + std::to_string(m.offset);
    error_.raw = io::detail::clip(m.payload);
    if (s.dead_letters) {
        std::vector<header> hs{{"scorestream.error", why},
                               {"scorestream.topic", std::string(m.topic)},
                               {"scorestream.partition", std::to_string(m.partition)},
                               {"scorestream.offset", std::to_string(m.offset)}};
        auto* opaque = new offset_ref(std::move(ref));
        std::string err;
        if (s.dead_letters->produce(s.opts.dead_letter_topic, -1, m.key, m.payload, hs, opaque, err)) {
            why += " (sent to dead-letter topic '" + s.opts.dead_letter_topic + "')";
        } else {
            // Refused for good: the record stays open (never committed) so it is not lost.
            why += " (dead-letter topic '" + s.opts.dead_letter_topic + "' refused it: " + err +
                   "; its offset stays uncommitted)";
            (void)opaque;  // deliberately kept: an open offset_ref holds the commit position
        }
    }
    error_.message = std::move(why);
    return step::error;
}

std::vector<topic_partition> source_core::committed() const {
    std::vector<topic_partition> out;
    for (std::uint32_t s = 0; s < tracker_->slot_count(); ++s)
        if (tracker_->committed(s) >= 0)
            out.push_back({tracker_->topic(s), tracker_->partition(s), tracker_->committed(s)});
    return out;
}

void source_core::commit(bool synchronous) {
    if (!impl_ || impl_->closed) return;
    impl_->poll_acknowledgements();
    impl_->commit_positions(impl_->positions(synchronous), synchronous);
}

void source_core::close(std::chrono::milliseconds timeout) {
    if (!impl_ || impl_->closed) return;
    impl& s = *impl_;
    // The sinks flushed at finish(); serve what acknowledgements are left. Offsets still open
    // belong to records held for state or not yet acknowledged: they stay uncommitted, as they must.
    if (s.dead_letters) s.dead_letters->flush(static_cast<int>(timeout.count()));
    s.poll_acknowledgements();
    s.commit_positions(s.positions(true), true);
    s.closed = true;
    s.committing_allowed = false;
    s.cons->close();
}

}  // namespace scorestream::kafka::detail
