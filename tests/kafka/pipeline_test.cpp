// Serving on the embedded cluster: model swaps with no lost record, the bootstrap rule, poison
// records to the dead-letter topic, restart from committed offsets with the latest model, and
// broker outages. Every wait is on a condition, bounded by a generous limit.

#include "kafka_test_util.hpp"
#include "serving.hpp"
#include "support/linear_model.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <set>

using namespace scorestream;
using namespace kafka_test;

namespace {

ModelRegistry make_registry() {
    ModelRegistry r;
    r.add(std::make_shared<testing::linear_factory>());
    return r;
}

/// Polls the pipeline until `done` or the limit; the source waits inside the consumer when idle.
template <class P>
bool drive(P& p, const std::function<bool()>& done, std::chrono::seconds limit = std::chrono::seconds(60)) {
    const auto until = std::chrono::steady_clock::now() + limit;

    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        p.poll(256);
    }
    return true;
}

std::vector<proto::ScoredResult> parse_results(const std::vector<message>& ms) {
    std::vector<proto::ScoredResult> out;
    for (const auto& m : ms) {
        proto::ScoredResult r;
        REQUIRE(r.ParseFromString(m.payload));
        out.push_back(r);
    }
    return out;
}

std::set<std::string> ids(const std::string& topic, const std::map<int, std::int64_t>& end_offsets) {
    std::set<std::string> s;
    for (const auto& [p, end] : end_offsets)
        for (std::int64_t o = 0; o < end; ++o)
            s.insert(topic + "/" + std::to_string(p) + "/" + std::to_string(o));
    return s;
}

std::map<int, std::int64_t> end_offsets(const kafka::client_config& c, const std::string& topic,
                                        int partitions) {
    kafka::consumer cons(c, "");
    std::map<int, std::int64_t> out;
    for (int p = 0; p < partitions; ++p) {
        std::int64_t low = 0, high = 0;
        std::string err;
        REQUIRE(cons.watermarks(topic, p, low, high, 10000, err));
        out[p] = high;
    }
    return out;
}

struct cluster_fixture {
    kafka::embedded_cluster cluster;
    serving_setup setup;
    ModelRegistry registry = make_registry();
    std::vector<std::string> problems;

    cluster_fixture() {
        cluster.create_topic("data", 2);
        cluster.create_topic("models", 1);
        cluster.create_topic("results", 2);
        cluster.create_topic("dead-letters", 1);
        setup.client = cluster.client();
    }
    kafka::client_config client() const { return setup.client; }
    error_handler collect() {
        return [this](error_kind kind, const record_error& e) {
            problems.push_back(std::string(to_string(kind)) + ": " + e.to_string());
        };
    }
};

}  // namespace

TEST_CASE_METHOD(cluster_fixture,
                 "kafka: models replaced mid-stream: every input offset has exactly its output",
                 "[kafka][pipeline]") {
    produce(client(), "models", {{"t", linear_descriptor("t", "1", 1000)}});
    auto p = make_serving(setup, registry);
    p.on_error(collect());
    int produced = 0;
    for (int version = 1; version <= 3; ++version) {
        if (version > 1) {
            produce(client(), "models",
                    {{"t", linear_descriptor("t", std::to_string(version), 1000.0 * version)}});
            // The next batch is produced only once the new model is installed, so each batch is
            // scored by exactly one known version.
            REQUIRE(drive(p, [&] { return p.counters().control_messages == std::size_t(version); }));
        }
        produce(client(), "data", csv_records(produced, 1000));
        produced += 1000;
        REQUIRE(drive(p, [&] { return p.counters().records_out == std::size_t(produced); }));
    }
    p.finish();
    p.source().close();
    CHECK(problems.empty());

    auto results = parse_results(read_topic(client(), "results", 3000));
    REQUIRE(results.size() == 3000);
    const auto expected = ids("data", end_offsets(client(), "data", 2));
    REQUIRE(expected.size() == 3000);
    std::set<std::string> seen;
    std::map<std::string, int> per_version;
    for (const auto& r : results) {
        seen.insert(r.record_key());
        REQUIRE(r.error().empty());
        ++per_version[r.model_version()];
    }
    CHECK(seen == expected);  // no input without an output, no output twice
    CHECK(per_version == std::map<std::string, int>{{"1", 1000}, {"2", 1000}, {"3", 1000}});
    // The scores show which model answered: bias = 1000 * version, x = id.
    auto data = read_topic(client(), "data", 3000);
    std::map<std::string, double> x_of;
    for (const auto& m : data) x_of[m.id()] = std::stod(m.payload.substr(m.payload.find(',') + 1));
    for (const auto& r : results)
        REQUIRE(r.number() == Approx(1000.0 * std::stoi(r.model_version()) + x_of.at(r.record_key())));
    // Everything was committed by close().
    const auto ends = end_offsets(client(), "data", 2);
    for (const auto& [part, end] : ends) CHECK(committed(client(), "scorers", "data", part) == end);
}

TEST_CASE_METHOD(cluster_fixture,
                 "kafka: bootstrap: the control topic is read to its high-water mark before data is scored",
                 "[kafka][pipeline]") {
    // More model versions than one control check applies (control_batch = 64), published before start.
    std::vector<std::pair<std::optional<std::string>, std::string>> models;
    for (int v = 1; v <= 150; ++v) models.push_back({"t", linear_descriptor("t", std::to_string(v), v)});
    produce(client(), "models", models);
    produce(client(), "data", csv_records(0, 500));
    auto p = make_serving(setup, registry);
    p.on_error(collect());
    REQUIRE(drive(p, [&] { return p.counters().records_out == 500; }));
    p.finish();
    p.source().close();
    CHECK(p.counters().control_messages == 150);
    auto results = parse_results(read_topic(client(), "results", 500));
    REQUIRE(results.size() == 500);
    for (const auto& r : results) {
        REQUIRE(r.error().empty());           // none unscored for lack of a model
        REQUIRE(r.model_version() == "150");  // and none scored by an older one
    }
    CHECK(problems.empty());
}

TEST_CASE_METHOD(cluster_fixture,
                 "kafka: a poison record goes to the dead-letter topic with its reason and bytes",
                 "[kafka][pipeline]") {
    produce(client(), "models", {{"t", linear_descriptor("t", "1", 0)}});
    auto records = csv_records(0, 100);
    records[10].second = "10,not-a-number";
    records[50].second = "garbage line without the right cells,,,";
    records[70] = {std::nullopt, std::string("\x00\xff\x01", 3)};
    produce(client(), "data", records, 0);
    auto p = make_serving(setup, registry);
    p.on_error(collect());
    REQUIRE(
        drive(p, [&] { return p.counters().records_out == 97 && p.source().stats().dead_lettered == 3; }));
    p.finish();
    p.source().close();

    REQUIRE(problems.size() == 3);
    CHECK(problems[0] ==
          "data source: data:partition 0 offset 10: field 'x' must be a number, got 'not-a-number' (sent to "
          "dead-letter topic 'dead-letters')");
    auto dead = read_topic(client(), "dead-letters", 3);
    REQUIRE(dead.size() == 3);
    std::map<std::string, message> by_offset;
    for (auto& m : dead) {
        std::map<std::string, std::string> h;
        for (const auto& x : m.headers) h[x.name] = x.value;
        CHECK(h["scorestream.topic"] == "data");
        CHECK(h["scorestream.partition"] == "0");
        CHECK_FALSE(h["scorestream.error"].empty());
        by_offset[h["scorestream.offset"]] = m;
    }
    REQUIRE(by_offset.count("10") == 1);
    CHECK(by_offset["10"].payload == "10,not-a-number");
    CHECK(by_offset["10"].key == std::optional<std::string>("k10"));
    CHECK(by_offset["50"].payload == records[50].second);
    CHECK(by_offset["70"].payload == std::string("\x00\xff\x01", 3));
    CHECK_FALSE(by_offset["70"].key.has_value());
    std::map<std::string, std::string> h10;
    for (const auto& x : by_offset["10"].headers) h10[x.name] = x.value;
    CHECK(h10["scorestream.error"] == "field 'x' must be a number, got 'not-a-number'");

    CHECK(read_topic(client(), "results", 97).size() == 97);
    CHECK(committed(client(), "scorers", "data", 0) == 100);  // poison offsets are done once dead-lettered
}

TEST_CASE_METHOD(cluster_fixture, "kafka: a restart resumes from the committed offsets with the latest model",
                 "[kafka][pipeline]") {
    produce(client(), "models", {{"t", linear_descriptor("t", "1", 1000)}});
    produce(client(), "data", csv_records(0, 400));
    {
        auto p = make_serving(setup, registry);
        p.on_error(collect());
        REQUIRE(drive(p, [&] { return p.counters().records_out == 400; }));
        p.finish();
        p.source().close();
    }
    // While no scorer runs: a new model and more data.
    produce(client(), "models", {{"t", linear_descriptor("t", "2", 2000)}});
    produce(client(), "data", csv_records(400, 300));
    {
        auto p = make_serving(setup, registry);
        p.on_error(collect());
        REQUIRE(drive(p, [&] { return p.counters().records_out == 300; }));
        p.finish();
        p.source().close();
        CHECK(p.counters().records_in == 300);  // nothing read again
    }
    auto results = parse_results(read_topic(client(), "results", 700));
    REQUIRE(results.size() == 700);
    std::map<std::string, std::string> version_of;
    for (const auto& r : results) {
        REQUIRE(version_of.count(r.record_key()) == 0);
        version_of[r.record_key()] = r.model_version();
    }
    auto data = read_topic(client(), "data", 700);
    REQUIRE(data.size() == 700);
    for (const auto& m : data) {
        const int id = std::stoi(m.payload.substr(0, m.payload.find(',')));
        CHECK(version_of.at(m.id()) == (id < 400 ? "1" : "2"));
    }
    CHECK(problems.empty());
}

TEST_CASE_METHOD(cluster_fixture,
                 "kafka: a model that does not build is rejected and the previous one keeps serving",
                 "[kafka][pipeline]") {
    produce(client(), "models", {{"t", linear_descriptor("t", "1", 1000)}});
    proto::ModelDescriptor bad;
    bad.set_name("linear");
    bad.set_version("2");
    bad.set_data_type("t");
    bad.set_model_type(proto::CUSTOM);
    bad.set_custom_type("linear");
    bad.set_data("this is not a linear model");
    produce(client(), "models", {{"t", bad.SerializeAsString()}, {"t", "\xff\xff not a descriptor"}});
    produce(client(), "data", csv_records(0, 50));
    auto p = make_serving(setup, registry);
    p.on_error(collect());
    REQUIRE(drive(p, [&] { return p.counters().records_out == 50; }));
    p.finish();
    p.source().close();
    CHECK(p.counters().rejected_updates == 1);
    CHECK(p.counters().control_errors == 1);
    for (const auto& r : parse_results(read_topic(client(), "results", 50)))
        REQUIRE(r.model_version() == "1");
}

TEST_CASE_METHOD(cluster_fixture,
                 "kafka: broker down: reported through the error handler, then serving resumes",
                 "[kafka][pipeline]") {
    produce(client(), "models", {{"t", linear_descriptor("t", "1", 0)}});
    produce(client(), "data", csv_records(0, 100));
    auto p = make_serving(setup, registry);
    p.on_error(collect());
    REQUIRE(drive(p, [&] { return p.counters().records_out == 100; }));
    cluster.set_broker_up(1, false);
    // The pipeline keeps being polled while the broker is down: no crash, no exception, problems reported.
    REQUIRE(drive(p, [&] {
        for (const auto& e : problems)
            if (e.find("kafka:") != std::string::npos) return true;
        return false;
    }));
    cluster.set_broker_up(1, true);
    produce(client(), "data", csv_records(100, 100));
    REQUIRE(drive(
        p, [&] { return p.counters().records_out == 200; }, std::chrono::seconds(120)));
    p.finish();
    p.source().close();
    CHECK(read_topic(client(), "results", 200).size() == 200);
}
