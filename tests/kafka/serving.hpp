#pragma once
// The serving pipeline the Kafka tests run (in process, and in the crash test's child process):
// CSV records "id,x" of data type "t" from `data`, linear models from `control`, ScoredResults to
// `results`, poison records to `dead_letters`.

#include <scorestream/io/row.hpp>
#include <scorestream/kafka/kafka.hpp>
#include <scorestream/scorestream.hpp>

#include <chrono>
#include <map>
#include <string>

namespace kafka_test {

struct serving_setup {
    scorestream::kafka::client_config client;
    std::string group = "scorers";
    std::string data = "data";
    std::string control = "models";
    std::string results = "results";
    std::string dead_letters = "dead-letters";
    scorestream::kafka::result_format format = scorestream::kafka::result_format::protobuf;
    std::chrono::milliseconds commit_interval{100};
    /// Short group timeouts: a member that vanished (kill -9) is noticed quickly.
    std::map<std::string, std::string> consumer_properties{
        {"session.timeout.ms", "6000"}, {"heartbeat.interval.ms", "500"}, {"max.poll.interval.ms", "10000"}};
};

inline auto make_serving(const serving_setup& s, const scorestream::ModelRegistry& registry,
                         scorestream::model_join_options join_options = {}) {
    namespace k = scorestream::kafka;
    using namespace scorestream;
    k::control_source_options co;
    co.client = s.client;
    co.topics = {s.control};
    k::control_source<> models(co);

    k::data_source_options dopt;
    dopt.client = s.client;
    dopt.group_id = s.group;
    dopt.topics = {s.data};
    dopt.commit_interval = s.commit_interval;
    dopt.dead_letter_topic = s.dead_letters;
    dopt.consumer_properties = s.consumer_properties;
    k::csv_decoder_options csv;
    csv.columns = {"id", "x"};
    csv.data_type = "t";
    csv.numeric_columns = {"x"};
    k::data_source<io::row> data(dopt, k::csv_decoder(csv));
    data.start_after(models);

    k::sink_options so;
    so.client = s.client;
    so.topic = s.results;
    return std::move(data) | join(std::move(models), registry, std::move(join_options)) | score() |
           sink(k::result_sink<io::row>(so, s.format));
}

}  // namespace kafka_test
