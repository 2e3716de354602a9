#pragma once
// Kafka sinks: a producer with delivery reports behind the pipeline's sink(...).
//
//     sink(kafka::result_sink<io::row>(opts))              // Scored<record<row>> -> ScoredResult
//     sink(kafka::topic_sink<kafka::tracked<command>>(opts, encode))   // any element, your encoding
//
// Each element becomes one message. When the element carries the offset_ref of its input record
// (record<T>, tracked<E>, Scored<record<T>>: see delivery_ref in record.hpp), the message holds a
// copy of it until the broker acknowledges it, so the input offset is committed only after that;
// a message whose delivery fails is produced again (reported through the pipeline's error handler
// via the data source). When the producer's local queue is full, write() serves delivery reports
// and waits: backpressure on the pipeline instead of dropping anything.
// flush() (called by pipeline.finish()) waits up to flush_timeout for every acknowledgement.
// Thread-safety: one thread at a time, the pipeline's.

#include <scorestream/io/protobuf.hpp>
#include <scorestream/kafka/client.hpp>
#include <scorestream/kafka/record.hpp>
#include <scorestream/stream/scored.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace scorestream::kafka {

struct sink_options {
    client_config client;
    std::string topic;  ///< required
    std::chrono::milliseconds flush_timeout{30000};
    /// Extra producer properties scorestream sets unless `client.properties` has them.
    /// Default: idempotent producer (no duplicates or reordering from librdkafka's own retries).
    std::map<std::string, std::string> defaults{{"enable.idempotence", "true"}, {"linger.ms", "2"}};
};

/// The message an encoder fills for one element (cleared before each call).
struct outgoing {
    std::optional<std::string> key;
    std::string payload;
    std::vector<header> headers;
    std::int32_t partition = -1;  ///< -1: by key

    void clear() {
        key.reset();
        payload.clear();
        headers.clear();
        partition = -1;
    }
};

template <class E>
using encoder = std::function<void(const E&, outgoing&)>;

template <class E>
class topic_sink {
public:
    topic_sink(sink_options o, encoder<E> encode)
        : s_(std::make_unique<state>(std::move(o), std::move(encode))) {}
    topic_sink(topic_sink&&) noexcept = default;
    topic_sink& operator=(topic_sink&&) noexcept = default;
    ~topic_sink() = default;

    /// An rvalue gives its offset_ref to the message, so the input offset is done the moment the
    /// broker acknowledges it; an lvalue's ref is copied (done once the element is gone too).
    void write(E&& e) { s_->write(e, mutable_ref(e)); }
    void write(const E& e) { s_->write(e, nullptr); }
    void operator()(E&& e) { s_->write(e, mutable_ref(e)); }
    void operator()(const E& e) { s_->write(e, nullptr); }
    /// Waits for every acknowledgement (up to flush_timeout); false when some are still missing.
    bool flush() { return s_->flush(); }
    std::uint64_t written() const noexcept { return s_->written; }
    std::uint64_t acknowledged() const noexcept { return s_->acknowledged; }
    std::size_t in_flight() const { return s_->prod.in_flight(); }

private:
    // The element is ours (an rvalue): its ref may be taken.
    static offset_ref* mutable_ref(E& e) noexcept { return const_cast<offset_ref*>(delivery_ref(e)); }

    struct state {
        sink_options opts;
        encoder<E> encode;
        offset_tracker* tracker = nullptr;
        std::size_t poller = 0;
        producer prod;
        outgoing msg;
        std::uint64_t written = 0;
        std::uint64_t acknowledged = 0;
        // The offset_ref of every message in flight, at the index its opaque names (index + 1;
        // nullptr = no ref). Freed places are reused: no allocation and O(1) per delivery report.
        std::vector<offset_ref> pending;
        std::vector<std::uint32_t> free_places;

        void* hold(offset_ref&& r) {
            std::uint32_t at;
            if (!free_places.empty()) {
                at = free_places.back();
                free_places.pop_back();
                pending[at] = std::move(r);
            } else {
                at = static_cast<std::uint32_t>(pending.size());
                pending.push_back(std::move(r));
            }
            return reinterpret_cast<void*>(static_cast<std::uintptr_t>(at) + 1);
        }
        void release(void* opaque) noexcept {
            if (!opaque) return;
            const auto at = static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(opaque) - 1);
            pending[at].reset();
            free_places.push_back(at);  // capacity kept from hold(): never reallocates
        }

        state(sink_options o, encoder<E> e)
            : opts(std::move(o)),
              encode(std::move(e)),
              prod(
                  opts.client,
                  [this](void* opaque) {
                      ++acknowledged;
                      release(opaque);
                  },
                  [this](const std::string& topic, const std::string& what) {
                      problem((topic.empty() ? opts.topic : topic) + ": " + what);
                  },
                  opts.defaults) {
            if (opts.topic.empty()) throw invalid_value_error("kafka sink: a topic is required");
            if (!encode) throw invalid_value_error("kafka sink: an encoder is required");
        }
        ~state() {
            prod.flush(static_cast<int>(std::min<long long>(opts.flush_timeout.count(), 5000)));
            prod.discard([this](void* opaque) { release(opaque); });
            pending.clear();
            if (tracker) {
                tracker->remove_poller(poller);
                tracker->drop();
            }
        }
        state(const state&) = delete;
        state& operator=(const state&) = delete;

        void problem(const std::string& what) {
            if (tracker)
                tracker->report(record_error{"kafka sink " + opts.topic, "", "kafka: " + what, ""});
            else
                std::cerr << "scorestream: kafka sink " << opts.topic << ": " << what << '\n';
        }

        void attach(offset_tracker* t) {
            if (tracker == t) return;
            if (tracker) {
                tracker->remove_poller(poller);
                tracker->drop();
            }
            tracker = t;
            tracker->retain();
            poller = tracker->add_poller([this] { prod.poll(0); });
        }

        void write(const E& e, offset_ref* takeable) {
            msg.clear();
            encode(e, msg);
            const offset_ref* ref = delivery_ref(e);
            void* opaque = nullptr;
            if (ref && *ref) {
                attach(ref->tracker());
                opaque = takeable ? hold(std::move(*takeable)) : hold(offset_ref(*ref));
                if (free_places.capacity() < pending.size()) free_places.reserve(pending.capacity());
            }
            std::optional<std::string_view> key;
            if (msg.key) key = *msg.key;
            std::string err;
            if (!prod.produce(opts.topic, msg.partition, key, msg.payload, msg.headers, opaque, err)) {
                // Refused for good (e.g. a message larger than the broker accepts): report it, and keep
                // its offset open so the record is never committed as if it had been written.
                problem("cannot produce: " + err + "; the input record stays uncommitted");
                (void)opaque;  // deliberately kept open
            }
            // Serve delivery reports now and then (the source also polls when idle and before it
            // commits); every message would cost a queue lock per record.
            if ((++written & 63) == 0) prod.poll(0);
        }

        bool flush() {
            const bool ok = prod.flush(static_cast<int>(opts.flush_timeout.count()));
            if (!ok)
                problem(std::to_string(prod.in_flight()) + " messages not acknowledged within " +
                        std::to_string(opts.flush_timeout.count()) + " ms");
            return ok;
        }
    };
    std::unique_ptr<state> s_;
};

// ---- scored results ---------------------------------------------------------------------------

enum class result_format { protobuf, json };

/// Scored<record<T>> -> proto::ScoredResult (io::to_scored_result) with record_key = the input's
/// "topic/partition/offset"; the message key is the input's key.
template <class T>
encoder<Scored<record<T>>> scored_protobuf_encoder() {
    struct scratch {
        proto::ScoredResult result;
        std::string id;
    };
    auto x = std::make_shared<scratch>();
    return [x](const Scored<record<T>>& s, outgoing& out) {
        io::to_scored_result(s, x->result);
        s.record.id(x->id);
        x->result.set_record_key(x->id);
        x->result.SerializeToString(&out.payload);
        if (!s.record.key.empty()) out.key = s.record.key;
    };
}

/// Scored<record<T>> -> one JSON object: {"record":"topic/partition/offset","key":...,"data_type":...,
/// "model":...,"version":...,"status":...,"score":...,"outputs":{...},"reason":...,"duration_ns":...}.
template <class T>
encoder<Scored<record<T>>> scored_json_encoder() {
    return [](const Scored<record<T>>& s, outgoing& out) {
        proto::ScoredResult r;
        io::to_scored_result(s, r);
        nlohmann::ordered_json j;
        j["record"] = s.record.id();
        j["key"] = s.record.key;
        j["data_type"] = r.data_type();
        j["model"] = r.model_name();
        j["version"] = r.model_version();
        j["status"] = to_string(s.status);
        if (r.has_number())
            j["score"] = r.number();
        else if (r.has_category())
            j["score"] = r.category();
        else
            j["score"] = nullptr;
        nlohmann::ordered_json outputs = nlohmann::ordered_json::object();
        for (const auto& o : r.outputs()) {
            if (o.has_number())
                outputs[o.name()] = o.number();
            else
                outputs[o.name()] = o.text();
        }
        j["outputs"] = std::move(outputs);
        j["reason"] = r.error();
        j["duration_ns"] = r.duration_ns();
        out.payload = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        if (!s.record.key.empty()) out.key = s.record.key;
    };
}

/// The sink of a serving pipeline: Scored<record<T>> results to a topic.
template <class T>
topic_sink<Scored<record<T>>> result_sink(sink_options o, result_format f = result_format::protobuf) {
    return topic_sink<Scored<record<T>>>(
        std::move(o), f == result_format::json ? scored_json_encoder<T>() : scored_protobuf_encoder<T>());
}

}  // namespace scorestream::kafka
