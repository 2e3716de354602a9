// model_publisher: one synchronous produce per model.

#include <scorestream/kafka/publish.hpp>

namespace scorestream::kafka {

model_publisher::model_publisher(const client_config& config, std::string topic) : topic_(std::move(topic)) {
    if (topic_.empty()) throw invalid_value_error("model_publisher: a topic is required");
    producer_ = std::make_unique<producer>(
        config, [](void*) {}, [this](const std::string&, const std::string& what) { problem_ = what; },
        std::map<std::string, std::string>{{"enable.idempotence", "true"}, {"linger.ms", "0"}});
}

model_publisher::~model_publisher() = default;

void model_publisher::publish(const ModelDescriptor& d, std::chrono::milliseconds timeout) {
    publish(d.data_type(), d.SerializeAsString(), timeout);
}

void model_publisher::publish(const std::string& key, const std::string& bytes,
                              std::chrono::milliseconds timeout) {
    std::string err;
    if (!producer_->produce(topic_, -1, std::string_view(key), bytes, {}, nullptr, err))
        throw kafka_error("publish to '" + topic_ + "': " + err);
    if (!producer_->flush(static_cast<int>(timeout.count())))
        throw kafka_error("publish to '" + topic_ + "': not acknowledged within " +
                          std::to_string(timeout.count()) + " ms" +
                          (problem_.empty() ? "" : " (" + problem_ + ")"));
}

}  // namespace scorestream::kafka
