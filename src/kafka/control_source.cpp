// The control source's consumer: discover partitions, take the high-water marks, read from the
// beginning, say when caught up, then tail.

#include <scorestream/kafka/checkpoint.hpp>
#include <scorestream/kafka/control_source.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <system_error>

namespace scorestream::kafka {

void control_log::record(const message_view& m) {
    const std::string_view key = m.key ? *m.key : std::string_view();
    auto it = std::find_if(latest.begin(), latest.end(),
                           [&](const entry& e) { return e.key == key && e.topic == m.topic; });
    if (it == latest.end())
        it = latest.insert(latest.end(), entry{std::string(m.topic), 0, -1, std::string(key), {}});
    it->partition = m.partition;
    it->offset = m.offset;
    it->payload.assign(m.payload.data(), m.payload.size());
}

void control_log::advance(std::string_view topic, std::int32_t partition, std::int64_t next) {
    for (auto& p : positions)
        if (p.partition == partition && p.topic == topic) {
            p.offset = std::max(p.offset, next);
            return;
        }
    positions.push_back({std::string(topic), partition, next});
}

}  // namespace scorestream::kafka

namespace scorestream::kafka::detail {

namespace {
using clock_type = std::chrono::steady_clock;
}

struct control_core::impl {
    control_source_options opts;
    std::unique_ptr<consumer> cons;
    enum class phase { discover, catching_up, tailing } at = phase::discover;
    struct part {
        std::string topic;
        std::int32_t partition;
        std::int64_t target;  // the high-water mark at start
        std::int64_t next;    // one past the last offset delivered
    };
    std::shared_ptr<control_log> log;
    std::vector<part> parts;
    std::vector<control_log::entry> restore;  // from the checkpoint, delivered before the topic
    std::size_t restore_at = 0;
    std::string checkpoint_problem;  // reported once, at the first fetch
    clock_type::time_point retry_at{};
    std::chrono::milliseconds backoff{100};

    // One bootstrap attempt: partitions and their high-water marks, then assign from the beginning.
    bool discover(std::string& err) {
        std::vector<part> found;
        const int timeout = static_cast<int>(opts.request_timeout.count());
        for (const auto& topic : opts.topics) {
            const int n = cons->partition_count(topic, timeout, err);
            if (n < 0) return false;
            for (int p = 0; p < n; ++p) {
                std::int64_t low = 0, high = 0;
                if (!cons->watermarks(topic, p, low, high, timeout, err)) {
                    err = topic + "/" + std::to_string(p) + ": watermarks: " + err;
                    return false;
                }
                found.push_back({topic, p, high, low});
            }
        }
        std::vector<topic_partition> assignment;
        for (auto& p : found) {
            std::int64_t from = offset_beginning;
            // A checkpoint's position inside the partition's current range is where reading starts;
            // anything else (the topic was recreated or shrank) means reading from the beginning.
            for (const auto& c : log->positions)
                if (c.partition == p.partition && c.topic == p.topic && c.offset >= p.next &&
                    c.offset <= p.target)
                    from = c.offset;
            if (from >= 0) p.next = from;
            assignment.push_back({p.topic, p.partition, from});
        }
        cons->assign(assignment);
        parts = std::move(found);
        return true;
    }

    clock_type::time_point next_position_check{};

    bool caught_up() {
        if (std::all_of(parts.begin(), parts.end(), [](const part& p) { return p.next >= p.target; }))
            return true;
        // The join asks on every poll while data waits for the bootstrap: ask the consumer at most
        // once a millisecond.
        const auto now = clock_type::now();
        if (now < next_position_check) return false;
        next_position_check = now + std::chrono::milliseconds(1);
        std::vector<topic_partition> behind;
        for (const auto& p : parts)
            if (p.next < p.target) behind.push_back({p.topic, p.partition, -1});
        // Transaction markers and compacted gaps leave `next` short of the mark: ask the consumer.
        cons->position(behind);
        for (const auto& b : behind) {
            auto it = std::find_if(parts.begin(), parts.end(), [&](const part& p) {
                return p.topic == b.topic && p.partition == b.partition;
            });
            if (b.offset < it->target) return false;
        }
        return true;
    }
};

control_core::control_core(control_source_options o)
    : impl_(std::make_unique<impl>()),
      state_(std::make_shared<bootstrap_state>()),
      log_(std::make_shared<control_log>()) {
    if (o.topics.empty()) throw invalid_value_error("kafka::control_source: at least one topic");
    if (o.name.empty())
        for (const auto& t : o.topics) o.name += (o.name.empty() ? "" : ",") + t;
    impl_->opts = std::move(o);
    impl_->log = log_;
    const std::string& file = impl_->opts.checkpoint_file;
    std::error_code ec;
    if (!file.empty() && std::filesystem::exists(file, ec)) {
        try {
            checkpoint c = read_checkpoint(file);
            impl_->restore = std::move(c.control);
            log_->positions = std::move(c.control_positions);
            restored_stats_ = c.data_stats;
        } catch (const checkpoint_error& e) {
            impl_->checkpoint_problem =
                std::string(e.what()) + "; reading the control topic from the beginning";
        }
    }
    impl_->cons = std::make_unique<consumer>(impl_->opts.client, "");
}

control_core::~control_core() {
    if (impl_ && impl_->cons) impl_->cons->close();
}

control_core::step control_core::fetch(message_view& m) {
    impl& s = *impl_;
    if (!s.checkpoint_problem.empty()) {
        error_ = record_error{s.opts.name, "", "kafka: " + s.checkpoint_problem, ""};
        s.checkpoint_problem.clear();
        return step::error;
    }
    if (s.at == impl::phase::discover) {
        const auto now = clock_type::now();
        if (now < s.retry_at) return step::idle;
        std::string err;
        if (!s.discover(err)) {
            s.retry_at = now + s.backoff;
            s.backoff = std::min(s.backoff * 2, std::chrono::milliseconds(5000));
            error_ = record_error{s.opts.name, "",
                                  "kafka: cannot start reading the control topic (retrying): " + err, ""};
            return step::error;
        }
        s.at = impl::phase::catching_up;
    }
    if (s.restore_at < s.restore.size()) {
        // The checkpoint's messages come first, as if read from a compacted topic.
        const control_log::entry& e = s.restore[s.restore_at++];
        m.topic = e.topic;
        m.partition = e.partition;
        m.offset = e.offset;
        m.key = std::string_view(e.key);
        m.payload = e.payload;
        m.timestamp_ms = 0;
        log_->record(m);
        ++log_->restored;
        ++restored_;
        return step::message;
    }
    if (s.restore_at > 0 && s.restore_at == s.restore.size()) {
        // Delivered: the views are gone with the next fetch, so the copies can go too.
        s.restore.clear();
        s.restore.shrink_to_fit();
        s.restore_at = 0;
    }
    std::string err;
    // Never wait here: the join asks before every data record. Waiting while idle is the data
    // source's job (and pipeline::run()'s).
    switch (s.cons->poll(0, m, err)) {
        case consumer::status::none:
            if (s.at == impl::phase::catching_up && s.caught_up()) {
                s.at = impl::phase::tailing;
                state_->caught_up = true;
            }
            return step::idle;
        case consumer::status::error:
            error_ = record_error{s.opts.name, "", "kafka: " + err, ""};
            return step::error;
        case consumer::status::message:
            break;
    }
    ++messages_;
    ++log_->read;
    log_->record(m);
    log_->advance(m.topic, m.partition, m.offset + 1);
    for (auto& p : s.parts)
        if (p.partition == m.partition && p.topic == m.topic) {
            p.next = std::max(p.next, m.offset + 1);
            break;
        }
    return step::message;
}

}  // namespace scorestream::kafka::detail
