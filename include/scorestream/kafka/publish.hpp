#pragma once
// Publishing models (or any control message) to a control topic, synchronously: used by
// scorestream-publish, the examples and tests. The key is the descriptor's data type, so a compacted
// control topic keeps the latest model of each data type.
// Thread-safety: a model_publisher is used by one thread at a time.

#include <scorestream/kafka/client.hpp>
#include <scorestream/model/factory.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace scorestream::kafka {

class model_publisher {
public:
    explicit model_publisher(const client_config& config, std::string topic);
    ~model_publisher();
    model_publisher(const model_publisher&) = delete;
    model_publisher& operator=(const model_publisher&) = delete;

    /// Produces `d` and waits for the broker's acknowledgement. Throws kafka_error when it is refused
    /// or not acknowledged within `timeout`.
    void publish(const ModelDescriptor& d, std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// Any bytes, with a key (a control message of your own format).
    void publish(const std::string& key, const std::string& bytes,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));

private:
    std::string topic_;
    std::unique_ptr<producer> producer_;
    std::string problem_;
};

}  // namespace scorestream::kafka
