#pragma once
// Thin, owning wrappers over librdkafka's consumer and producer, used by the Kafka sources and
// sinks. They keep librdkafka out of scorestream's public headers and turn its callbacks into plain
// functions. Constructors throw scorestream::error for a bad configuration; nothing else throws.
// Thread-safety: each object is used by one thread at a time (librdkafka's own threads are hidden;
// every callback here runs inside poll()/consume() on the caller's thread).

#include <scorestream/error.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scorestream::kafka {

/// Where the cluster is and any librdkafka properties (https://github.com/confluentinc/librdkafka/
/// blob/master/CONFIGURATION.md), e.g. {"security.protocol", "ssl"}. Properties set here win over
/// the defaults scorestream picks.
struct client_config {
    std::string brokers;  ///< bootstrap.servers, e.g. "kafka1:9092,kafka2:9092"
    std::string client_id = "scorestream";
    std::map<std::string, std::string> properties;
};

/// Thrown when librdkafka refuses a configuration or a client cannot be created.
class kafka_error : public error {
public:
    using error::error;
};

struct header {
    std::string name;
    std::string value;
};

/// One consumed message; the views stay valid until the next poll of the client that returned it.
struct message_view {
    std::string_view topic;
    std::int32_t partition = -1;
    std::int64_t offset = -1;
    std::optional<std::string_view> key;
    std::string_view payload;
    std::int64_t timestamp_ms = 0;
};

struct topic_partition {
    std::string topic;
    std::int32_t partition = 0;
    std::int64_t offset = -1;  ///< a position; negative values are librdkafka's logical offsets
};

/// Logical offsets (librdkafka's values).
inline constexpr std::int64_t offset_beginning = -2;
inline constexpr std::int64_t offset_end = -1;
inline constexpr std::int64_t offset_stored = -1000;

/// A consumer: in a group (subscribe) or on explicitly assigned partitions (assign).
class consumer {
public:
    enum class status { message, none, error };
    /// Called inside poll() when the group assigns (`assigned` = true) or revokes partitions; the
    /// consumer applies the change after the callback returns.
    using rebalance_fn = std::function<void(bool assigned, const std::vector<topic_partition>&)>;

    /// `group_id` empty: no group (assign() only; nothing is committed).
    consumer(const client_config& config, const std::string& group_id,
             const std::map<std::string, std::string>& defaults = {});
    ~consumer();
    consumer(const consumer&) = delete;
    consumer& operator=(const consumer&) = delete;

    void on_rebalance(rebalance_fn f);
    /// poll() takes up to `max_messages` messages from librdkafka at a time (one queue lock for
    /// all of them) and returns them one by one. Default 1.
    void batch(std::size_t max_messages);
    void subscribe(const std::vector<std::string>& topics);
    void assign(const std::vector<topic_partition>& partitions);

    /// Waits up to timeout_ms for a message. `error` holds librdkafka's text for status::error
    /// (a broker or partition problem; the consumer keeps trying on its own).
    status poll(int timeout_ms, message_view& out, std::string& error);
    /// The headers of the message the last poll() returned.
    std::vector<header> headers() const;

    /// Commits positions (the next offsets to read). Returns false with the reason on failure.
    bool commit(const std::vector<topic_partition>& positions, bool synchronous, std::string& error);
    /// The committed positions of the given partitions (offset -1001 = none).
    bool committed(std::vector<topic_partition>& partitions, int timeout_ms, std::string& error);
    /// Low and high watermarks from the broker.
    bool watermarks(const std::string& topic, std::int32_t partition, std::int64_t& low, std::int64_t& high,
                    int timeout_ms, std::string& error);
    /// The number of partitions of a topic, or -1 (error says why; a missing topic is an error).
    int partition_count(const std::string& topic, int timeout_ms, std::string& error);
    /// The current positions (next offset to fetch) of the given partitions.
    void position(std::vector<topic_partition>& partitions);
    /// Leaves the group (revoking, committing nothing itself) and closes. Idempotent.
    void close();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// A producer with delivery reports. Messages that fail delivery are reported and produced again
/// (at-least-once): a message leaves only by being delivered or by the producer being destroyed.
class producer {
public:
    /// Called inside poll()/flush() for each delivered message with the opaque given to produce().
    using delivered_fn = std::function<void(void* opaque)>;
    /// Called for problems (a failed delivery about to be retried, a broker error), with the topic.
    using problem_fn = std::function<void(const std::string& topic, const std::string& what)>;

    producer(const client_config& config, delivered_fn delivered, problem_fn problem,
             const std::map<std::string, std::string>& defaults = {});
    ~producer();
    producer(const producer&) = delete;
    producer& operator=(const producer&) = delete;

    /// Queues a message (copied). When librdkafka's local queue is full, serves delivery reports
    /// and retries until there is room: backpressure on the caller, never a dropped message.
    /// `partition` -1 lets the partitioner choose (by key). Returns false only for a permanent
    /// refusal (unknown topic, message too large), with the reason in `error`.
    bool produce(const std::string& topic, std::int32_t partition, std::optional<std::string_view> key,
                 std::string_view payload, const std::vector<header>& headers, void* opaque,
                 std::string& error);
    /// Serves delivery reports (and retries of failed messages) for up to timeout_ms.
    int poll(int timeout_ms);
    /// Waits until every queued message is delivered or timeout_ms passes; true when none is left.
    bool flush(int timeout_ms);
    /// Messages produced and not yet acknowledged (including those waiting to be retried).
    std::size_t in_flight() const;
    /// Gives up on every message not yet acknowledged (at shutdown, after flush()): each one's
    /// opaque is passed to `release` once. Their records were never committed, so they are read again.
    void discard(const std::function<void(void*)>& release);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace scorestream::kafka
