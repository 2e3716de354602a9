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
#include <scorestream/kafka/decoders.hpp>
#include <scorestream/kafka/offsets.hpp>
#include <scorestream/model/factory.hpp>
#include <scorestream/stream/source.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace scorestream::kafka {

struct control_source_options {
    client_config client;
    std::vector<std::string> topics;  ///< control topics (required)
    /// Names the source in error reports; default: the topics.
    std::string name;
    /// Per request while bootstrapping (metadata, watermarks).
    std::chrono::milliseconds request_timeout{2000};
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

private:
    struct impl;
    std::unique_ptr<impl> impl_;
    std::shared_ptr<bootstrap_state> state_;
    record_error error_;
    std::uint64_t messages_ = 0;
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
    std::uint64_t messages() const noexcept { return core_->messages(); }

private:
    std::unique_ptr<detail::control_core> core_;
    decoder<T> decode_;
    std::string why_;
};

}  // namespace scorestream::kafka
