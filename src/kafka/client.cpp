// librdkafka behind scorestream::kafka::consumer and producer.

#include <scorestream/kafka/client.hpp>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <unistd.h>

#include <algorithm>
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

// Messages are taken from librdkafka's consumer queue with its C API: rd_kafka_consume_batch_queue
// hands over up to `batch` messages per queue lock, and their topic names are librdkafka's own
// strings, so a message costs no allocation here. The C++ handle is kept for the rest (commits,
// metadata, the rebalance and event callbacks, which librdkafka runs while the queue is served).
struct consumer::impl : RdKafka::RebalanceCb, RdKafka::EventCb {
    std::unique_ptr<RdKafka::KafkaConsumer> handle;
    rd_kafka_t* rk = nullptr;
    rd_kafka_queue_t* queue = nullptr;
    std::vector<rd_kafka_message_t*> buffered;  // fetched, not yet returned (in order)
    std::size_t buffered_at = 0;
    std::size_t batch = 1;
    rd_kafka_message_t* last = nullptr;  // returned by the last poll(); destroyed by the next
    rebalance_fn rebalance;
    std::deque<std::string> events;
    bool in_batch_call = false;
    std::vector<topic_partition> revoked_in_batch;
    bool closed = false;
    bool subscribed = false;  // a group member: librdkafka must see it poll (max.poll.interval.ms)

    ~impl() override { release_all(); }

    void release_last() {
        if (last) rd_kafka_message_destroy(last);
        last = nullptr;
    }
    void release_all() {
        release_last();
        for (std::size_t i = buffered_at; i < buffered.size(); ++i) rd_kafka_message_destroy(buffered[i]);
        buffered.clear();
        buffered_at = 0;
        if (queue) rd_kafka_queue_destroy(queue);
        queue = nullptr;
    }

    rd_kafka_message_t* take_buffered() {
        if (buffered_at < buffered.size()) return buffered[buffered_at++];
        return nullptr;
    }

    // One batch without waiting. A partition revoked while librdkafka served the queue (the
    // rebalance callback runs inside the call) may leave messages fetched before the revocation in
    // the batch: they are dropped here. Nothing was committed past them, so whoever owns the
    // partition next reads them again.
    void fill() {
        buffered.resize(batch);
        in_batch_call = true;
        const ssize_t n = rd_kafka_consume_batch_queue(queue, 0, buffered.data(), batch);
        in_batch_call = false;
        buffered.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        buffered_at = 0;
        if (revoked_in_batch.empty()) return;
        std::size_t kept = 0;
        for (auto* m : buffered) {
            const bool gone =
                m->rkt &&
                std::any_of(revoked_in_batch.begin(), revoked_in_batch.end(), [&](const topic_partition& p) {
                    return p.partition == m->partition && p.topic == rd_kafka_topic_name(m->rkt);
                });
            if (gone)
                rd_kafka_message_destroy(m);
            else
                buffered[kept++] = m;
        }
        buffered.resize(kept);
        revoked_in_batch.clear();
    }

    void rebalance_cb(RdKafka::KafkaConsumer* c, RdKafka::ErrorCode err,
                      std::vector<RdKafka::TopicPartition*>& parts) override {
        const bool assigned = err == RdKafka::ERR__ASSIGN_PARTITIONS;
        auto list = convert(parts);
        if (!assigned && in_batch_call)
            revoked_in_batch.insert(revoked_in_batch.end(), list.begin(), list.end());
        if (rebalance) {
            try {
                rebalance(assigned, list);
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
    impl_->rk = impl_->handle->c_ptr();
    impl_->queue = rd_kafka_queue_get_consumer(impl_->rk);
    if (!impl_->queue) throw kafka_error("kafka: the consumer has no queue");
}

consumer::~consumer() { close(); }

void consumer::on_rebalance(rebalance_fn f) { impl_->rebalance = std::move(f); }

void consumer::batch(std::size_t max_messages) { impl_->batch = std::max<std::size_t>(1, max_messages); }

void consumer::subscribe(const std::vector<std::string>& topics) {
    impl_->subscribed = true;
    auto err = impl_->handle->subscribe(topics);
    if (err != RdKafka::ERR_NO_ERROR) throw kafka_error("kafka: cannot subscribe: " + RdKafka::err2str(err));
}

void consumer::assign(const std::vector<topic_partition>& partitions) {
    partition_list list(partitions);
    auto err = impl_->handle->assign(list.items);
    if (err != RdKafka::ERR_NO_ERROR) throw kafka_error("kafka: cannot assign: " + RdKafka::err2str(err));
}

consumer::status consumer::poll(int timeout_ms, message_view& out, std::string& error) {
    impl& s = *impl_;
    s.release_last();
    if (s.closed) return status::none;
    if (!s.events.empty()) {
        error = std::move(s.events.front());
        s.events.pop_front();
        return status::error;
    }
    rd_kafka_message_t* m = s.take_buffered();
    // A look that may not wait, at an empty queue, of a consumer outside any group: the queue's
    // length (one lock) says there is nothing, where a consume call costs about ten times as much
    // (a control source is asked before every data record). Errors and callbacks are queued ops
    // too, so they still count. A group member always polls: librdkafka takes a consumer that
    // stops polling for max.poll.interval.ms out of its group.
    if (!m && timeout_ms == 0 && !s.subscribed && rd_kafka_queue_length(s.queue) == 0) return status::none;
    if (!m && s.batch > 1) {
        s.fill();
        m = s.take_buffered();
    }
    // Waiting is for one message: a batch call would wait for a full batch.
    if (!m && (s.batch == 1 || timeout_ms > 0)) m = rd_kafka_consumer_poll(s.rk, timeout_ms);
    if (!m) return status::none;
    s.last = m;
    if (m->err) {
        if (m->err == RD_KAFKA_RESP_ERR__TIMED_OUT || m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
            return status::none;
        error = std::string(rd_kafka_err2str(m->err)) + ": " + rd_kafka_message_errstr(m);
        if (m->rkt) error = std::string(rd_kafka_topic_name(m->rkt)) + ": " + error;
        return status::error;
    }
    out.topic = m->rkt ? std::string_view(rd_kafka_topic_name(m->rkt)) : std::string_view();
    out.partition = m->partition;
    out.offset = m->offset;
    if (m->key)
        out.key = std::string_view(static_cast<const char*>(m->key), m->key_len);
    else
        out.key.reset();
    out.payload =
        m->payload ? std::string_view(static_cast<const char*>(m->payload), m->len) : std::string_view();
    out.timestamp_ms = rd_kafka_message_timestamp(m, nullptr);
    return status::message;
}

std::vector<header> consumer::headers() const {
    std::vector<header> out;
    rd_kafka_headers_t* hs = nullptr;
    if (!impl_->last || rd_kafka_message_headers(impl_->last, &hs) != RD_KAFKA_RESP_ERR_NO_ERROR || !hs)
        return out;
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    for (std::size_t i = 0;
         rd_kafka_header_get_all(hs, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
        out.push_back({name, value ? std::string(static_cast<const char*>(value), size) : std::string()});
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
    impl_->release_all();
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
    // Topic handles, made once: producing by name would look the topic up (under a lock) per message.
    std::vector<std::pair<std::string, rd_kafka_topic_t*>> topics;
    std::size_t last_topic = 0;

    ~impl() override {
        for (auto& t : topics) rd_kafka_topic_destroy(t.second);
    }

    rd_kafka_topic_t* topic_handle(const std::string& name) {
        if (last_topic < topics.size() && topics[last_topic].first == name) return topics[last_topic].second;
        for (std::size_t i = 0; i < topics.size(); ++i)
            if (topics[i].first == name) {
                last_topic = i;
                return topics[i].second;
            }
        rd_kafka_topic_t* t = rd_kafka_topic_new(handle->c_ptr(), name.c_str(), nullptr);
        if (!t) return nullptr;
        topics.emplace_back(name, t);
        last_topic = topics.size() - 1;
        return t;
    }

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
    rd_kafka_resp_err_t attempt(const std::string& topic, std::int32_t partition,
                                const std::optional<std::string_view>& key, std::string_view payload,
                                const std::vector<header>& hs, void* opaque) {
        rd_kafka_topic_t* rkt = topic_handle(topic);
        if (!rkt) return rd_kafka_last_error();
        const std::int32_t part = partition < 0 ? RD_KAFKA_PARTITION_UA : partition;
        void* data = const_cast<char*>(payload.data());
        const void* k = key ? key->data() : nullptr;
        const std::size_t klen = key ? key->size() : 0;
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
        if (hs.empty()) {
            if (rd_kafka_produce(rkt, part, RD_KAFKA_MSG_F_COPY, data, payload.size(), k, klen, opaque) != 0)
                err = rd_kafka_last_error();
        } else {
            rd_kafka_headers_t* h = rd_kafka_headers_new(hs.size());
            for (const auto& x : hs)
                rd_kafka_header_add(h, x.name.data(), static_cast<ssize_t>(x.name.size()), x.value.data(),
                                    static_cast<ssize_t>(x.value.size()));
            err = rd_kafka_producev(handle->c_ptr(), RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(part),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_VALUE(data, payload.size()), RD_KAFKA_V_KEY(k, klen),
                                    RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
                rd_kafka_headers_destroy(h);  // owned by the message on success
        }
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) ++queued;
        return err;
    }

    void drain_retries() {
        while (!retries.empty()) {
            retry& r = retries.front();
            std::optional<std::string_view> key;
            if (r.key) key = *r.key;
            auto err = attempt(r.topic, r.partition, key, r.payload, r.headers, r.opaque);
            if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return;
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                // Refused for good (the topic is gone?): keep it and try later; it stays in flight, so
                // the offset it belongs to is never committed.
                report(r.topic, std::string("cannot produce again: ") + rd_kafka_err2str(err));
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
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            error = rd_kafka_err2str(err);
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
