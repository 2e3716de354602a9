// The local checkpoint: the file format (round trip, and a clear error for every kind of damage),
// and a restart from a checkpoint on the embedded cluster that serves the latest model without
// reading the control topic from the beginning, falling back to the topic when the file is bad.

#include "kafka_test_util.hpp"
#include "support/linear_model.hpp"

#include <scorestream/kafka/kafka.hpp>
#include <scorestream/scorestream.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

using namespace scorestream;
using namespace kafka_test;

namespace {

std::string temp_file(const std::string& name) {
    return (std::filesystem::temp_directory_path() /
            ("scorestream-ckpt-" + std::to_string(::getpid()) + "-" + name))
        .string();
}

std::string slurp(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}
void spit(const std::string& file, const std::string& bytes) {
    std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

kafka::checkpoint sample() {
    kafka::checkpoint c;
    c.written_at_ms = 1234567;
    c.control.push_back({"models", 0, 41, "t", std::string("model\0bytes", 11)});
    c.control.push_back({"models", 1, 7, "u", "other"});
    c.control_positions = {{"models", 0, 42}, {"models", 1, 8}};
    c.data_positions = {{"data", 0, 1000}, {"data", 1, 999}};
    c.data_stats.messages = 1999;
    c.data_stats.poison = 3;
    c.data_stats.rebalances = 2;
    return c;
}

std::string refusal(const std::string& file) {
    try {
        kafka::read_checkpoint(file);
    } catch (const kafka::checkpoint_error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("kafka: a checkpoint reads back what was written", "[kafka][checkpoint]") {
    const std::string file = temp_file("roundtrip");
    kafka::write_checkpoint(file, sample());
    CHECK_FALSE(std::filesystem::exists(file + ".tmp"));
    const kafka::checkpoint c = kafka::read_checkpoint(file);
    CHECK(c.written_at_ms == 1234567);
    REQUIRE(c.control.size() == 2);
    CHECK(c.control[0].topic == "models");
    CHECK(c.control[0].offset == 41);
    CHECK(c.control[0].key == "t");
    CHECK(c.control[0].payload == std::string("model\0bytes", 11));
    CHECK(c.control[1].partition == 1);
    REQUIRE(c.control_positions.size() == 2);
    CHECK(c.control_positions[1].offset == 8);
    REQUIRE(c.data_positions.size() == 2);
    CHECK(c.data_positions[0].offset == 1000);
    CHECK(c.data_stats.messages == 1999);
    CHECK(c.data_stats.poison == 3);
    CHECK(c.data_stats.rebalances == 2);
    // Writing again replaces the file whole.
    kafka::checkpoint empty;
    kafka::write_checkpoint(file, empty);
    CHECK(kafka::read_checkpoint(file).control.empty());
    std::filesystem::remove(file);
}

TEST_CASE("kafka: a damaged checkpoint is refused with the file, the offset and the reason",
          "[kafka][checkpoint]") {
    const std::string file = temp_file("damaged");
    kafka::write_checkpoint(file, sample());
    const std::string good = slurp(file);

    spit(file, good.substr(0, good.size() / 2));
    std::string why = refusal(file);
    CHECK_THAT(why, Catch::Contains(file) && Catch::Contains("truncated"));

    spit(file, good.substr(0, 10));
    CHECK_THAT(refusal(file), Catch::Contains("offset 8") && Catch::Contains("truncated"));

    std::string flipped = good;
    flipped[good.size() / 2] ^= 0x20;
    spit(file, flipped);
    CHECK_THAT(refusal(file), Catch::Contains("checksum mismatch"));

    spit(file, "PK\x03\x04 not a checkpoint at all");
    CHECK_THAT(refusal(file), Catch::Contains("offset 0") && Catch::Contains("not a scorestream checkpoint"));

    spit(file, good + "x");
    CHECK_THAT(refusal(file), Catch::Contains("unexpected bytes after the checksum"));

    std::filesystem::remove(file);
    CHECK_THAT(refusal(file), Catch::Contains("cannot open"));
}

namespace {

struct serving {
    std::shared_ptr<const kafka::control_log> log;
    std::vector<std::string> problems;
};

// Scores what arrives until `results` results were written, then checkpoints (when asked) and shuts
// down cleanly.
void run_scorer(const kafka::client_config& client, const ModelRegistry& registry,
                const std::string& checkpoint_file, std::uint64_t results, bool write, serving& out) {
    kafka::control_source_options co;
    co.client = client;
    co.topics = {"models"};
    co.checkpoint_file = checkpoint_file;
    kafka::control_source<> models(co);
    out.log = models.log();
    kafka::data_source_options dopt;
    dopt.client = client;
    dopt.group_id = "scorers";
    dopt.topics = {"data"};
    dopt.commit_interval = std::chrono::milliseconds(100);
    kafka::csv_decoder_options csv;
    csv.columns = {"id", "x"};
    csv.data_type = "t";
    kafka::data_source<io::row> data(dopt, kafka::csv_decoder(csv));
    if (models.restored_data_stats()) data.restore_stats(*models.restored_data_stats());
    data.start_after(models);
    kafka::sink_options so;
    so.client = client;
    so.topic = "results";
    auto p =
        std::move(data) | join(std::move(models), registry) | score() | sink(kafka::result_sink<io::row>(so));
    p.on_error([&](error_kind, const record_error& e) { out.problems.push_back(e.to_string()); });
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (p.counters().records_out < results && std::chrono::steady_clock::now() < until) p.poll(256);
    REQUIRE(p.counters().records_out == results);
    p.finish();
    p.source().close();
    if (write) kafka::write_checkpoint(checkpoint_file, kafka::make_checkpoint(*out.log, p.source()));
}

}  // namespace

TEST_CASE("kafka: a restart from a checkpoint serves the latest model without reading the control topic",
          "[kafka][checkpoint]") {
    kafka::embedded_cluster cluster;
    cluster.create_topic("data", 1);
    cluster.create_topic("models", 1);
    cluster.create_topic("results", 1);
    const auto client = cluster.client();
    ModelRegistry registry;
    registry.add(std::make_shared<testing::linear_factory>());
    const std::string file = temp_file("restart");
    std::filesystem::remove(file);

    for (int v = 1; v <= 30; ++v)
        produce(client, "models", {{"t", linear_descriptor("t", std::to_string(v), 1000.0 * v)}});
    produce(client, "data", csv_records(0, 100));

    serving first;
    run_scorer(client, registry, file, 100, true, first);
    CHECK(first.log->read == 30);
    CHECK(first.log->restored == 0);
    CHECK(first.problems.empty());
    {
        const auto c = kafka::read_checkpoint(file);
        REQUIRE(c.control.size() == 1);  // one key: the latest model of data type "t"
        ModelDescriptor d;
        REQUIRE(d.ParseFromString(c.control[0].payload));
        CHECK(d.version() == "30");
        REQUIRE(c.control_positions.size() == 1);
        CHECK(c.control_positions[0].offset == 30);
        REQUIRE(c.data_positions.size() == 1);
        CHECK(c.data_positions[0].offset == 100);
        CHECK(c.data_stats.messages == 100);
    }

    // Restart from the checkpoint: the model comes from the file, nothing from the control topic.
    produce(client, "data", csv_records(100, 50));
    serving second;
    run_scorer(client, registry, file, 50, true, second);
    CHECK(second.log->restored == 1);
    CHECK(second.log->read == 0);
    CHECK(second.problems.empty());
    CHECK(kafka::read_checkpoint(file).data_stats.messages == 150);  // counted on from the checkpoint

    // A truncated checkpoint: reported, and the control topic is read from the beginning instead.
    const std::string bytes = slurp(file);
    spit(file, bytes.substr(0, bytes.size() - 5));
    produce(client, "data", csv_records(150, 50));
    serving third;
    run_scorer(client, registry, file, 50, false, third);
    CHECK(third.log->restored == 0);
    CHECK(third.log->read == 30);
    REQUIRE(third.problems.size() == 1);
    CHECK_THAT(third.problems[0], Catch::Contains(file) && Catch::Contains("truncated") &&
                                      Catch::Contains("reading the control topic from the beginning"));

    // Every record was scored once, each by the latest model, version 30.
    const auto results = read_topic(client, "results", 200);
    REQUIRE(results.size() == 200);
    std::set<std::string> keys;
    for (const auto& m : results) {
        proto::ScoredResult r;
        REQUIRE(r.ParseFromString(m.payload));
        CHECK(r.model_version() == "30");
        CHECK(r.error().empty());
        keys.insert(r.record_key());
    }
    CHECK(keys.size() == 200);
    std::filesystem::remove(file);
}
