#pragma once
// kafka::data_source<T>: the data side of a Kafka serving pipeline. A consumer in a group reads one
// or more topics; each message is decoded into a T and emitted as kafka::record<T>.
//
//     kafka::control_source models(control_opts);
//     kafka::data_source<io::row> data(data_opts, kafka::csv_decoder(csv_opts));
//     data.start_after(models);                       // the bootstrap rule
//     auto p = std::move(data) | join(std::move(models), registry) | score()
//              | sink(kafka::result_sink<io::row>(sink_opts));
//     p.run();                                        // until stop()
//     p.finish(); p.source().close();                 // clean shutdown: final commit
//
// Delivery: at-least-once. Offsets are committed (every commit_interval, and by close()) only up to
// the first record that is still open: held in the pipeline, or with an output whose delivery the
// producer has not yet confirmed (see offsets.hpp). Destroying a source without close() commits
// nothing more, which is always safe. After an exception escapes the pipeline, destroy it rather
// than close() it.
//
// Poison records (the decoder or `validate` refuses them) are produced to `dead_letter_topic` with
// the original key and bytes and headers saying why and where from (scorestream.error,
// scorestream.topic, scorestream.partition, scorestream.offset), then reported as pull::error; their
// offset is committed once the dead letter is acknowledged. Broker problems are reported as
// pull::error too (rate-limited); librdkafka reconnects with backoff, and while nothing arrives the
// source waits idle_wait inside the consumer instead of spinning.
// Thread-safety: one thread at a time, the pipeline's.

#include <scorestream/kafka/client.hpp>
#include <scorestream/kafka/decoders.hpp>
#include <scorestream/kafka/offsets.hpp>
#include <scorestream/kafka/record.hpp>
#include <scorestream/stream/source.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace scorestream::kafka {

struct data_source_options {
    client_config client;
    std::string group_id;             ///< consumer group (required): commits are kept per group
    std::vector<std::string> topics;  ///< data topics (required)
    /// Where a group with no committed offset starts: "earliest" or "latest".
    std::string auto_offset_reset = "earliest";
    std::chrono::milliseconds commit_interval{1000};
    /// How long one next() may wait inside the consumer when nothing is available.
    std::chrono::milliseconds idle_wait{5};
    /// Messages taken from librdkafka's consumer queue at a time (one queue lock for all of them);
    /// they are still decoded and emitted one by one.
    std::size_t consume_batch = 1024;
    /// Poison records go here; empty: they are only reported (and their offsets committed).
    std::string dead_letter_topic;
    /// Client for the dead-letter producer; default: `client`.
    client_config dead_letter_client;
    /// Names the source in error reports; default: the topics.
    std::string name;
    /// Properties for the group consumer only (e.g. session.timeout.ms, group.instance.id).
    std::map<std::string, std::string> consumer_properties;
};

/// What a data source has seen, for monitoring. Read on the pipeline's thread.
struct data_source_stats {
    std::uint64_t messages = 0;       ///< messages consumed
    std::uint64_t poison = 0;         ///< messages refused by the decoder or validate
    std::uint64_t dead_lettered = 0;  ///< poison messages acknowledged by the dead-letter topic
    std::uint64_t broker_errors = 0;  ///< broker / client problems reported
    std::uint64_t commits = 0;        ///< commits sent
    std::uint64_t commit_errors = 0;
    std::uint64_t rebalances = 0;
};

namespace detail {

/// The part of a data source that does not depend on the record type (compiled in scorestream_kafka).
class source_core {
public:
    enum class step { message, idle, error };

    explicit source_core(data_source_options o);
    ~source_core();
    source_core(const source_core&) = delete;
    source_core& operator=(const source_core&) = delete;

    /// The next message and the handle that keeps its offset open; or idle; or error (error()).
    step fetch(message_view& m, offset_ref& ref);
    /// Dead-letters a message the decoder refused (ref stays open until it is acknowledged) and
    /// fills error(). Returns step::error.
    step poison(const message_view& m, offset_ref ref, std::string why);

    void start_after(std::shared_ptr<const bootstrap_state> gate) { gate_ = std::move(gate); }
    /// Commits what is safe now (synchronously when asked).
    void commit(bool synchronous);
    void close(std::chrono::milliseconds timeout);

    const record_error& error() const noexcept { return error_; }
    const data_source_stats& stats() const noexcept { return stats_; }
    void restore_stats(const data_source_stats& s) noexcept { stats_ = s; }
    std::vector<topic_partition> committed() const;
    offset_tracker& tracker() noexcept { return *tracker_; }

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    offset_tracker* tracker_;
    std::shared_ptr<const bootstrap_state> gate_;
    record_error error_;
    data_source_stats stats_;
    friend struct impl;
};

}  // namespace detail

template <class T>
class data_source {
public:
    using value_type = record<T>;
    /// Optional check after decoding: a non-empty reason makes the record poison.
    using validate_fn = std::function<std::string(const T&)>;

    /// Throws kafka_error / invalid_value_error for a bad configuration.
    data_source(data_source_options o, decoder<T> decode, validate_fn validate = {})
        : core_(std::make_unique<detail::source_core>(std::move(o))),
          decode_(std::move(decode)),
          validate_(std::move(validate)) {
        if (!decode_) throw invalid_value_error("kafka::data_source: a decoder is required");
    }

    /// Scores nothing before `control` has read its topic up to its high-water mark.
    template <class Control>
    data_source& start_after(const Control& control) {
        core_->start_after(control.bootstrap());
        return *this;
    }

    pull next(record<T>& out) {
        out.ref.reset();  // the previous record, if still here, left the pipeline without output
        message_view m;
        offset_ref ref;
        switch (core_->fetch(m, ref)) {
            case detail::source_core::step::idle:
                return pull::idle;
            case detail::source_core::step::error:
                return pull::error;
            case detail::source_core::step::message:
                break;
        }
        why_.clear();
        bool ok = false;
        try {
            ok = decode_(m, out.value, why_);
            if (ok && validate_) {
                why_ = validate_(out.value);
                ok = why_.empty();
            }
        } catch (const std::exception& e) {
            ok = false;
            why_ = std::string("decoder threw: ") + e.what();
        } catch (...) {
            ok = false;
            why_ = "decoder threw a non-standard exception";
        }
        if (!ok)
            return core_->poison(m, std::move(ref), why_.empty() ? "refused by the decoder" : why_) ==
                           detail::source_core::step::error
                       ? pull::error
                       : pull::idle;
        if (m.key)
            out.key.assign(m.key->data(), m.key->size());
        else
            out.key.clear();
        out.timestamp_ms = m.timestamp_ms;
        out.ref = std::move(ref);
        return pull::item;
    }

    const record_error& error() const noexcept { return core_->error(); }

    /// Commits what is safe now.
    void commit(bool synchronous = false) { core_->commit(synchronous); }
    /// Clean shutdown: waits (up to timeout) for outstanding deliveries, commits synchronously,
    /// leaves the group. Call after pipeline.finish() (or stop()).
    void close(std::chrono::milliseconds timeout = std::chrono::seconds(10)) { core_->close(timeout); }

    const data_source_stats& stats() const noexcept { return core_->stats(); }
    /// Counting goes on from `s` (the stats of a checkpoint, control_source::restored_data_stats()).
    void restore_stats(const data_source_stats& s) noexcept { core_->restore_stats(s); }
    /// The positions committed so far (the next offset to read, per partition).
    std::vector<topic_partition> committed() const { return core_->committed(); }
    offset_tracker& tracker() noexcept { return core_->tracker(); }

private:
    std::unique_ptr<detail::source_core> core_;
    decoder<T> decode_;
    validate_fn validate_;
    std::string why_;
};

}  // namespace scorestream::kafka
