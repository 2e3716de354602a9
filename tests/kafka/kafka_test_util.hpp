#pragma once
// Helpers for the Kafka tests: produce, read a topic back, the linear test model as a descriptor,
// and bounded waits on conditions (never a sleep as synchronization).

#include <scorestream/proto/model.pb.h>
#include <scorestream/kafka/kafka.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace kafka_test {

namespace k = scorestream::kafka;

struct message {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = 0;
    std::optional<std::string> key;
    std::string payload;
    std::vector<k::header> headers;

    std::string id() const { return topic + "/" + std::to_string(partition) + "/" + std::to_string(offset); }
};

/// Polls `done` until it is true or `limit` passes; returns its last value.
inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::seconds limit = std::chrono::seconds(60)) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return done();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

/// Produces messages (key, payload) and waits for every acknowledgement.
inline void produce(const k::client_config& c, const std::string& topic,
                    const std::vector<std::pair<std::optional<std::string>, std::string>>& messages,
                    std::int32_t partition = -1) {
    std::size_t failures = 0;
    k::producer p(
        c, [](void*) {}, [&](const std::string&, const std::string&) { ++failures; });
    for (const auto& [key, payload] : messages) {
        std::optional<std::string_view> kv;
        if (key) kv = *key;
        std::string err;
        if (!p.produce(topic, partition, kv, payload, {}, nullptr, err))
            throw std::runtime_error("produce to " + topic + ": " + err);
    }
    if (!p.flush(30000)) throw std::runtime_error("produce to " + topic + ": not acknowledged");
}

/// Every message of `topic` (all partitions) from the beginning, until `count` were read or
/// `limit` passed.
inline std::vector<message> read_topic(const k::client_config& c, const std::string& topic, std::size_t count,
                                       std::chrono::seconds limit = std::chrono::seconds(60)) {
    k::consumer cons(c, "");
    std::string err;
    int parts = -1;
    const auto until = std::chrono::steady_clock::now() + limit;
    while ((parts = cons.partition_count(topic, 2000, err)) < 0) {
        if (std::chrono::steady_clock::now() > until) throw std::runtime_error("read_topic: " + err);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::vector<k::topic_partition> tps;
    for (int p = 0; p < parts; ++p) tps.push_back({topic, p, k::offset_beginning});
    cons.assign(tps);
    std::vector<message> out;
    while (out.size() < count && std::chrono::steady_clock::now() < until) {
        k::message_view m;
        if (cons.poll(100, m, err) != k::consumer::status::message) continue;
        message x{std::string(m.topic),   m.partition,   m.offset, std::nullopt,
                  std::string(m.payload), cons.headers()};
        if (m.key) x.key = std::string(*m.key);
        out.push_back(std::move(x));
    }
    return out;
}

/// The committed position of a group on a partition (-1001 when none).
inline std::int64_t committed(const k::client_config& c, const std::string& group, const std::string& topic,
                              std::int32_t partition) {
    k::consumer cons(c, group);
    std::vector<k::topic_partition> tps{{topic, partition, -1}};
    std::string err;
    if (!cons.committed(tps, 10000, err)) throw std::runtime_error("committed: " + err);
    return tps[0].offset;
}

/// The linear test model (tests/support/linear_model.hpp): score = bias + 1 * x.
inline std::string linear_descriptor(const std::string& data_type, const std::string& version, double bias) {
    scorestream::proto::ModelDescriptor d;
    d.set_name("linear");
    d.set_version(version);
    d.set_data_type(data_type);
    d.set_model_type(scorestream::proto::CUSTOM);
    d.set_custom_type("linear");
    d.set_data("bias " + std::to_string(bias) + "\nw x 1\n");
    return d.SerializeAsString();
}

/// `n` CSV lines "id,x" with x = id, keys "k<id>".
inline std::vector<std::pair<std::optional<std::string>, std::string>> csv_records(int first, int n) {
    std::vector<std::pair<std::optional<std::string>, std::string>> out;
    for (int i = first; i < first + n; ++i)
        out.push_back({"k" + std::to_string(i), std::to_string(i) + "," + std::to_string(i)});
    return out;
}

}  // namespace kafka_test

namespace kafka_test {

/// Reads a topic from the beginning, incrementally: call poll_for() to take what has arrived.
class topic_reader {
public:
    topic_reader(const k::client_config& c, const std::string& topic, int partitions) : cons_(c, "") {
        std::vector<k::topic_partition> tps;
        for (int p = 0; p < partitions; ++p) tps.push_back({topic, p, k::offset_beginning});
        cons_.assign(tps);
    }
    /// Takes messages for up to `ms` milliseconds (returns early when one poll comes back empty).
    void poll_for(int ms) {
        const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
        std::string err;
        while (std::chrono::steady_clock::now() < until) {
            k::message_view m;
            if (cons_.poll(20, m, err) != k::consumer::status::message) return;
            message x{std::string(m.topic), m.partition, m.offset, std::nullopt, std::string(m.payload), {}};
            if (m.key) x.key = std::string(*m.key);
            messages.push_back(std::move(x));
        }
    }
    std::vector<message> messages;

private:
    k::consumer cons_;
};

}  // namespace kafka_test
