#pragma once
// kafka::control_source<T>: the control side of a Kafka serving pipeline (ModelDescriptors by
// default, or any control message with a decoder).
//
// It reads every partition of its topics from the beginning, with no consumer group and no commits:
// the control topic is the store of models. At start it asks for each partition's high-water mark,
// and it is caught up once it has delivered everything below those marks; data sources started
// after it (data_source::start_after) score nothing before that. So a restarted process serves the
// latest model of every data type with no other store. Afterwards it tails the topic.
// Use a key per data type (scorestream-publish does) so that a compacted control topic keeps the
// latest model of each.
//
// Broker unavailable: the metadata and watermark requests are retried with growing backoff (up to
// 5 s); each failure is reported as pull::error (rate-limited), and data stays gated meanwhile.
// Partitions added to a control topic after start are not picked up (restart to see them).
// Thread-safety: one thread at a time, the pipeline's.

#include <scorestream/kafka/client.hpp>
#include <scorestream/kafka/data_source.hpp>
#include <scorestream/kafka/decoders.hpp>
#include <scorestream/kafka/offsets.hpp>
#include <scorestream/model/factory.hpp>
#include <scorestream/stream/source.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scorestream::kafka {

struct control_source_options {
    client_config client;
    std::vector<std::string> topics;  ///< control topics (required)
    /// A checkpoint (checkpoint.hpp) to start from: its control messages are delivered first and
    /// each control partition is read from the checkpoint's position instead of the beginning.
    /// Empty: none. A missing file is a first start; an unreadable or corrupt one is reported as a
    /// control-source error and the topic is read from the beginning.
    std::string checkpoint_file;
    /// Names the source in error reports; default: the topics.
    std::string name;
    /// Per request while bootstrapping (metadata, watermarks).
    std::chrono::milliseconds request_timeout{2000};
};

/// What a control source has read, as a compacted topic keeps it: the latest message per key (per
/// topic), and the next offset to read per partition. Kept up to date by the control source; a
/// checkpoint is made from it. Read it on the pipeline's thread.
struct control_log {
    struct entry {
        std::string topic;
        std::int32_t partition = 0;
        std::int64_t offset = -1;
        std::string key;
        std::string payload;
    };
    std::vector<entry> latest;
    std::vector<topic_partition> positions;
    std::uint64_t read = 0;      ///< messages read from the control topics
    std::uint64_t restored = 0;  ///< messages delivered from a checkpoint

    /// Keeps `m` as the latest message of its key (messages without a key share the key "").
    void record(const message_view& m);
    /// The next offset to read in a partition moves to at least `next`.
    void advance(std::string_view topic, std::int32_t partition, std::int64_t next);
};

namespace detail {

/// The record-type-independent part (compiled in scorestream_kafka).
class control_core {
public:
    enum class step { message, idle, error };
    explicit control_core(control_source_options o);
    ~control_core();
    control_core(const control_core&) = delete;
    control_core& operator=(const control_core&) = delete;

    step fetch(message_view& m);
    const std::shared_ptr<bootstrap_state>& bootstrap() const noexcept { return state_; }
    record_error& error() noexcept { return error_; }
    std::uint64_t messages() const noexcept { return messages_; }
    std::uint64_t restored() const noexcept { return restored_; }
    const std::shared_ptr<control_log>& log() const noexcept { return log_; }
    const std::optional<data_source_stats>& restored_data_stats() const noexcept { return restored_stats_; }

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    std::shared_ptr<bootstrap_state> state_;
    std::shared_ptr<control_log> log_;
    record_error error_;
    std::uint64_t messages_ = 0;
    std::uint64_t restored_ = 0;
    std::optional<data_source_stats> restored_stats_;
};

}  // namespace detail

template <class T = ModelDescriptor>
class control_source {
public:
    using value_type = T;

    explicit control_source(control_source_options o, decoder<T> decode = protobuf_decoder<T>{})
        : core_(std::make_unique<detail::control_core>(std::move(o))), decode_(std::move(decode)) {}

    pull next(T& out) {
        message_view m;
        switch (core_->fetch(m)) {
            case detail::control_core::step::idle:
                return pull::idle;
            case detail::control_core::step::error:
                return pull::error;
            case detail::control_core::step::message:
                break;
        }
        why_.clear();
        bool ok = false;
        try {
            ok = decode_(m, out, why_);
        } catch (const std::exception& e) {
            why_ = std::string("decoder threw: ") + e.what();
        }
        if (ok) return pull::item;
        record_error& e = core_->error();
        e.source = std::string(m.topic);
        e.where = "partition " + std::to_string(m.partition) + " offset " + std::to_string(m.offset);
        e.message = why_.empty() ? "refused by the decoder" : why_;
        e.raw.assign(m.payload.substr(0, 4096));
        return pull::error;
    }

    const record_error& error() const noexcept { return core_->error(); }

    /// True once everything below the start-time high-water marks was delivered.
    bool caught_up() const noexcept { return core_->bootstrap()->caught_up; }
    std::shared_ptr<const bootstrap_state> bootstrap() const { return core_->bootstrap(); }
    /// Messages read from the control topic (not counting those restored from a checkpoint).
    std::uint64_t messages() const noexcept { return core_->messages(); }
    /// Messages delivered from the checkpoint (control_source_options::checkpoint_file).
    std::uint64_t restored() const noexcept { return core_->restored(); }
    /// The log a checkpoint is made from; take it before moving the source into a pipeline.
    std::shared_ptr<const control_log> log() const { return core_->log(); }
    /// The data-source stats saved in the checkpoint this source started from, if any (for
    /// data_source::restore_stats()).
    const std::optional<data_source_stats>& restored_data_stats() const noexcept {
        return core_->restored_data_stats();
    }

private:
    std::unique_ptr<detail::control_core> core_;
    decoder<T> decode_;
    std::string why_;
};

}  // namespace scorestream::kafka
