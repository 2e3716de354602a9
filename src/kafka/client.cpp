// librdkafka behind scorestream::kafka::consumer and producer.

#include <scorestream/kafka/client.hpp>

#include <librdkafka/rdkafkacpp.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <utility>

namespace scorestream::kafka {

namespace {

using clock_type = std::chrono::steady_clock;

std::unique_ptr<RdKafka::Conf> make_conf(const client_config& config,
                                         const std::map<std::string, std::string>& defaults) {
    std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
    std::string err;
    auto set = [&](const std::string& k, const std::string& v) {
        if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK)
            throw kafka_error("kafka: cannot set '" + k + "' to '" + v + "': " + err);
    };
    if (config.brokers.empty()) throw kafka_error("kafka: client_config::brokers is empty");
    set("bootstrap.servers", config.brokers);
    if (!config.client_id.empty()) set("client.id", config.client_id);
    for (const auto& [k, v] : defaults)
        if (config.properties.count(k) == 0) set(k, v);
    for (const auto& [k, v] : config.properties) set(k, v);
    return conf;
}

void set_callback(RdKafka::Conf& conf, const char* name, RdKafka::DeliveryReportCb* cb) {
    std::string err;
    if (conf.set(name, cb, err) != RdKafka::Conf::CONF_OK) throw kafka_error(std::string("kafka: ") + err);
}
void set_callback(RdKafka::Conf& conf, const char* name, RdKafka::EventCb* cb) {
    std::string err;
    if (conf.set(name, cb, err) != RdKafka::Conf::CONF_OK) throw kafka_error(std::string("kafka: ") + err);
}
void set_callback(RdKafka::Conf& conf, const char* name, RdKafka::RebalanceCb* cb) {
    std::string err;
    if (conf.set(name, cb, err) != RdKafka::Conf::CONF_OK) throw kafka_error(std::string("kafka: ") + err);
}

std::vector<topic_partition> convert(const std::vector<RdKafka::TopicPartition*>& parts) {
    std::vector<topic_partition> out;
    out.reserve(parts.size());
    for (const auto* p : parts) out.push_back({p->topic(), p->partition(), p->offset()});
    return out;
}

struct partition_list {
    std::vector<RdKafka::TopicPartition*> items;
    explicit partition_list(const std::vector<topic_partition>& parts) {
        items.reserve(parts.size());
        for (const auto& p : parts)
            items.push_back(RdKafka::TopicPartition::create(p.topic, p.partition, p.offset));
    }
    ~partition_list() { RdKafka::TopicPartition::destroy(items); }
    partition_list(const partition_list&) = delete;
    partition_list& operator=(const partition_list&) = delete;
};

// The same problem text is reported at most once per interval, so a broker that is down for an hour
// gives a line every few seconds, not a flood.
class problem_limiter {
public:
    bool admit(const std::string& what) {
        const auto now = clock_type::now();
        if (what == last_ && now - at_ < std::chrono::seconds(5)) return false;
        last_ = what;
        at_ = now;
        return true;
    }

private:
    std::string last_;
    clock_type::time_point at_{};
};

}  // namespace

// ---- consumer ---------------------------------------------------------------------------------

struct consumer::impl : RdKafka::RebalanceCb, RdKafka::EventCb {
    std::unique_ptr<RdKafka::KafkaConsumer> handle;
    std::unique_ptr<RdKafka::Message> last;
    std::string topic;
    rebalance_fn rebalance;
    std::deque<std::string> events;
    bool closed = false;

    void rebalance_cb(RdKafka::KafkaConsumer* c, RdKafka::ErrorCode err,
                      std::vector<RdKafka::TopicPartition*>& parts) override {
        const bool assigned = err == RdKafka::ERR__ASSIGN_PARTITIONS;
        if (rebalance) {
            try {
                rebalance(assigned, convert(parts));
            } catch (...) {
                // The callback's owner reports its own problems; the assignment must go on regardless.
            }
        }
        if (assigned)
            c->assign(parts);
        else
            c->unassign();
    }

    void event_cb(RdKafka::Event& e) override {
        if (e.type() == RdKafka::Event::EVENT_ERROR && events.size() < 100)
            events.push_back(RdKafka::err2str(e.err()) + ": " + e.str());
    }
};

consumer::consumer(const client_config& config, const std::string& group_id,
                   const std::map<std::string, std::string>& defaults)
    : impl_(std::make_unique<impl>()) {
    auto d = defaults;
    d.emplace("enable.auto.commit", "false");
    d.emplace("enable.auto.offset.store", "false");
    d.emplace("enable.partition.eof", "false");
    auto conf = make_conf(config, d);
    std::string err;
    // librdkafka wants a group.id even for a consumer that only assign()s: give it a private one,
    // which never joins a group and never commits.
    static std::atomic<unsigned> counter{0};
    const std::string group = group_id.empty() ? "scorestream-unjoined-" + std::to_string(::getpid()) + "-" +
                                                     std::to_string(++counter)
                                               : group_id;
    if (conf->set("group.id", group, err) != RdKafka::Conf::CONF_OK)
        throw kafka_error("kafka: cannot set group.id: " + err);
    set_callback(*conf, "rebalance_cb", static_cast<RdKafka::RebalanceCb*>(impl_.get()));
    set_callback(*conf, "event_cb", static_cast<RdKafka::EventCb*>(impl_.get()));
    impl_->handle.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
    if (!impl_->handle) throw kafka_error("kafka: cannot create a consumer: " + err);
}

consumer::~consumer() { close(); }

void consumer::on_rebalance(rebalance_fn f) { impl_->rebalance = std::move(f); }

void consumer::subscribe(const std::vector<std::string>& topics) {
    auto err = impl_->handle->subscribe(topics);
    if (err != RdKafka::ERR_NO_ERROR) throw kafka_error("kafka: cannot subscribe: " + RdKafka::err2str(err));
}

void consumer::assign(const std::vector<topic_partition>& partitions) {
    partition_list list(partitions);
    auto err = impl_->handle->assign(list.items);
    if (err != RdKafka::ERR_NO_ERROR) throw kafka_error("kafka: cannot assign: " + RdKafka::err2str(err));
}

consumer::status consumer::poll(int timeout_ms, message_view& out, std::string& error) {
    impl_->last.reset();
    if (!impl_->events.empty()) {
        error = std::move(impl_->events.front());
        impl_->events.pop_front();
        return status::error;
    }
    impl_->last.reset(impl_->handle->consume(timeout_ms));
    RdKafka::Message* m = impl_->last.get();
    if (!m) return status::none;
    switch (m->err()) {
        case RdKafka::ERR_NO_ERROR:
            break;
        case RdKafka::ERR__TIMED_OUT:
        case RdKafka::ERR__PARTITION_EOF:
            return status::none;
        default:
            error = RdKafka::err2str(m->err()) + ": " + m->errstr();
            if (!m->topic_name().empty()) error = m->topic_name() + ": " + error;
            return status::error;
    }
    impl_->topic = m->topic_name();  // returned by value: keep it for the view
    out.topic = impl_->topic;
    out.partition = m->partition();
    out.offset = m->offset();
    if (m->key_pointer())
        out.key = std::string_view(static_cast<const char*>(m->key_pointer()), m->key_len());
    else
        out.key.reset();
    out.payload = m->payload() ? std::string_view(static_cast<const char*>(m->payload()), m->len())
                               : std::string_view();
    out.timestamp_ms = m->timestamp().timestamp;
    return status::message;
}

std::vector<header> consumer::headers() const {
    std::vector<header> out;
    if (!impl_->last) return out;
    if (RdKafka::Headers* h = impl_->last->headers())
        for (const auto& x : h->get_all())
            out.push_back({x.key(), x.value()
                                        ? std::string(static_cast<const char*>(x.value()), x.value_size())
                                        : std::string()});
    return out;
}

bool consumer::commit(const std::vector<topic_partition>& positions, bool synchronous, std::string& error) {
    partition_list list(positions);
    auto err = synchronous ? impl_->handle->commitSync(list.items) : impl_->handle->commitAsync(list.items);
    if (err != RdKafka::ERR_NO_ERROR) {
        error = RdKafka::err2str(err);
        return false;
    }
    for (const auto* p : list.items)
        if (p->err() != RdKafka::ERR_NO_ERROR) {
            error = p->topic() + "/" + std::to_string(p->partition()) + ": " + RdKafka::err2str(p->err());
            return false;
        }
    return true;
}

bool consumer::committed(std::vector<topic_partition>& partitions, int timeout_ms, std::string& error) {
    partition_list list(partitions);
    auto err = impl_->handle->committed(list.items, timeout_ms);
    if (err != RdKafka::ERR_NO_ERROR) {
        error = RdKafka::err2str(err);
        return false;
    }
    partitions = convert(list.items);
    return true;
}

bool consumer::watermarks(const std::string& topic, std::int32_t partition, std::int64_t& low,
                          std::int64_t& high, int timeout_ms, std::string& error) {
    auto err = impl_->handle->query_watermark_offsets(topic, partition, &low, &high, timeout_ms);
    if (err != RdKafka::ERR_NO_ERROR) {
        error = RdKafka::err2str(err);
        return false;
    }
    return true;
}

int consumer::partition_count(const std::string& topic, int timeout_ms, std::string& error) {
    RdKafka::Metadata* raw = nullptr;
    auto err = impl_->handle->metadata(true, nullptr, &raw, timeout_ms);
    std::unique_ptr<RdKafka::Metadata> md(raw);
    if (err != RdKafka::ERR_NO_ERROR) {
        error = "metadata: " + RdKafka::err2str(err);
        return -1;
    }
    for (const auto* t : *md->topics()) {
        if (t->topic() != topic) continue;
        if (t->err() != RdKafka::ERR_NO_ERROR) {
            error = topic + ": " + RdKafka::err2str(t->err());
            return -1;
        }
        return static_cast<int>(t->partitions()->size());
    }
    error = "topic '" + topic + "' does not exist";
    return -1;
}

void consumer::position(std::vector<topic_partition>& partitions) {
    partition_list list(partitions);
    impl_->handle->position(list.items);
    partitions = convert(list.items);
}

void consumer::close() {
    if (!impl_ || impl_->closed) return;
    impl_->closed = true;
    impl_->last.reset();
    impl_->handle->close();
}

// ---- producer ---------------------------------------------------------------------------------

struct producer::impl : RdKafka::DeliveryReportCb, RdKafka::EventCb {
    struct retry {
        std::string topic;
        std::int32_t partition;
        std::optional<std::string> key;
        std::string payload;
        std::vector<header> headers;
        void* opaque;
    };

    std::unique_ptr<RdKafka::Producer> handle;
    delivered_fn delivered;
    problem_fn problem;
    std::deque<retry> retries;
    std::size_t queued = 0;  // produced, delivery report not yet served
    problem_limiter limiter;

    void report(const std::string& topic, const std::string& what) {
        if (problem && limiter.admit(what)) {
            try {
                problem(topic, what);
            } catch (...) {
            }
        }
    }

    void dr_cb(RdKafka::Message& m) override {
        --queued;
        if (m.err() == RdKafka::ERR_NO_ERROR) {
            if (delivered) delivered(m.msg_opaque());
            return;
        }
        if (m.err() != RdKafka::ERR__PURGE_QUEUE && m.err() != RdKafka::ERR__PURGE_INFLIGHT)
            report(m.topic_name(), "delivery failed, producing it again: " + m.errstr());
        retry r{m.topic_name(), m.partition(), std::nullopt, {}, {}, m.msg_opaque()};
        if (m.key_pointer()) r.key.emplace(static_cast<const char*>(m.key_pointer()), m.key_len());
        if (m.payload()) r.payload.assign(static_cast<const char*>(m.payload()), m.len());
        if (RdKafka::Headers* h = m.headers())
            for (const auto& x : h->get_all())
                r.headers.push_back({x.key(), std::string(static_cast<const char*>(x.value()),
                                                          x.value() ? x.value_size() : 0)});
        retries.push_back(std::move(r));
    }

    void event_cb(RdKafka::Event& e) override {
        if (e.type() == RdKafka::Event::EVENT_ERROR) report("", RdKafka::err2str(e.err()) + ": " + e.str());
    }

    // One attempt; QUEUE_FULL is returned to the caller, which polls and tries again.
    RdKafka::ErrorCode attempt(const std::string& topic, std::int32_t partition,
                               const std::optional<std::string_view>& key, std::string_view payload,
                               const std::vector<header>& hs, void* opaque) {
        RdKafka::Headers* h = nullptr;
        if (!hs.empty()) {
            h = RdKafka::Headers::create();
            for (const auto& x : hs) h->add(x.name, x.value.data(), x.value.size());
        }
        auto err =
            handle->produce(topic, partition < 0 ? RdKafka::Topic::PARTITION_UA : partition,
                            RdKafka::Producer::RK_MSG_COPY, const_cast<char*>(payload.data()), payload.size(),
                            key ? key->data() : nullptr, key ? key->size() : 0, 0, h, opaque);
        if (err != RdKafka::ERR_NO_ERROR)
            delete h;
        else
            ++queued;
        return err;
    }

    void drain_retries() {
        while (!retries.empty()) {
            retry& r = retries.front();
            std::optional<std::string_view> key;
            if (r.key) key = *r.key;
            auto err = attempt(r.topic, r.partition, key, r.payload, r.headers, r.opaque);
            if (err == RdKafka::ERR__QUEUE_FULL) return;
            if (err != RdKafka::ERR_NO_ERROR) {
                // Refused for good (the topic is gone?): keep it and try later; it stays in flight, so
                // the offset it belongs to is never committed.
                report(r.topic, "cannot produce again: " + RdKafka::err2str(err));
                return;
            }
            retries.pop_front();
        }
    }
};

producer::producer(const client_config& config, delivered_fn delivered, problem_fn problem,
                   const std::map<std::string, std::string>& defaults)
    : impl_(std::make_unique<impl>()) {
    impl_->delivered = std::move(delivered);
    impl_->problem = std::move(problem);
    auto conf = make_conf(config, defaults);
    set_callback(*conf, "dr_cb", static_cast<RdKafka::DeliveryReportCb*>(impl_.get()));
    set_callback(*conf, "event_cb", static_cast<RdKafka::EventCb*>(impl_.get()));
    std::string err;
    impl_->handle.reset(RdKafka::Producer::create(conf.get(), err));
    if (!impl_->handle) throw kafka_error("kafka: cannot create a producer: " + err);
}

producer::~producer() {
    // Give queued messages a moment to leave; what is still queued after that is not acknowledged,
    // so the offsets it belongs to were never committed and the records will be read again.
    if (impl_ && impl_->handle) impl_->handle->flush(2000);
}

bool producer::produce(const std::string& topic, std::int32_t partition, std::optional<std::string_view> key,
                       std::string_view payload, const std::vector<header>& headers, void* opaque,
                       std::string& error) {
    impl_->drain_retries();
    int wait_ms = 1;
    for (;;) {
        auto err = impl_->attempt(topic, partition, key, payload, headers, opaque);
        if (err == RdKafka::ERR_NO_ERROR) return true;
        if (err != RdKafka::ERR__QUEUE_FULL) {
            error = RdKafka::err2str(err);
            return false;
        }
        // Backpressure: serve delivery reports (which frees room) and try again, waiting longer while
        // the queue stays full (a broker that is down), up to 100 ms per round.
        impl_->handle->poll(wait_ms);
        wait_ms = std::min(wait_ms * 2, 100);
    }
}

int producer::poll(int timeout_ms) {
    impl_->drain_retries();
    return impl_->handle->poll(timeout_ms);
}

bool producer::flush(int timeout_ms) {
    const auto until = clock_type::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
        impl_->drain_retries();
        if (in_flight() == 0) return true;
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock_type::now());
        if (left.count() <= 0) return false;
        impl_->handle->poll(static_cast<int>(std::min<long long>(left.count(), 100)));
    }
}

std::size_t producer::in_flight() const { return impl_->queued + impl_->retries.size(); }

void producer::discard(const std::function<void(void*)>& release) {
    impl_->handle->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
    // Purged messages come back as failed delivery reports, which park them in `retries`.
    for (int i = 0; i < 50 && impl_->queued > 0; ++i) impl_->handle->poll(10);
    auto saved = std::move(impl_->problem);
    for (auto& r : impl_->retries) release(r.opaque);
    impl_->retries.clear();
    impl_->problem = std::move(saved);
}

}  // namespace scorestream::kafka
