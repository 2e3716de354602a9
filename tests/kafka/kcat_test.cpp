// Interoperability with an independent Kafka client: kcat produces CSV records and a serialized
// ModelDescriptor into the embedded cluster, and reads the JSON results back.

#include "kafka_test_util.hpp"
#include "serving.hpp"
#include "support/linear_model.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace scorestream;
using namespace kafka_test;

namespace {

std::string run(const std::string& command) {
    std::string out;
    FILE* f = ::popen(command.c_str(), "r");
    REQUIRE(f != nullptr);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    const int status = ::pclose(f);
    INFO(command << "\n" << out);
    REQUIRE(status == 0);
    return out;
}

std::filesystem::path temp_dir() {
    const char* base = std::getenv("SCORESTREAM_TEST_TMP");
    auto dir = std::filesystem::path(base ? base : "/tmp") / ("kcat-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace

TEST_CASE("kafka: kcat produces records and a model descriptor, and reads the results back",
          "[kafka][kcat]") {
    kafka::embedded_cluster cluster;
    for (const char* t : {"data", "models", "results", "dead-letters"}) cluster.create_topic(t, 1);
    const std::string kcat = std::string(SCORESTREAM_KCAT) + " -q -b " + cluster.bootstrap_servers();
    const auto dir = temp_dir();

    {
        std::ofstream model(dir / "model.bin", std::ios::binary);
        model << linear_descriptor("t", "kcat-1", 100);
        std::ofstream data(dir / "data.txt");
        for (int i = 0; i < 20; ++i) data << "key" << i << ":" << i << "," << i * 0.5 << "\n";
    }
    // -P with a file argument sends the whole file as one message: the descriptor's exact bytes.
    run(kcat + " -P -t models -k t " + (dir / "model.bin").string());
    run(kcat + " -P -t data -K : -l " + (dir / "data.txt").string());

    serving_setup setup;
    setup.client = cluster.client();
    setup.format = kafka::result_format::json;
    ModelRegistry registry;
    registry.add(std::make_shared<testing::linear_factory>());
    auto p = make_serving(setup, registry);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (p.counters().records_out < 20 && std::chrono::steady_clock::now() < until) p.poll(64);
    p.finish();
    p.source().close();
    REQUIRE(p.counters().records_out == 20);

    const std::string out = run(kcat + " -C -t results -o beginning -e -c 20 -f '%k\\t%s\\n'");
    std::istringstream lines(out);
    std::map<std::string, nlohmann::json> by_key;
    for (std::string line; std::getline(lines, line);) {
        if (line.empty()) continue;
        const auto tab = line.find('\t');
        REQUIRE(tab != std::string::npos);
        by_key[line.substr(0, tab)] = nlohmann::json::parse(line.substr(tab + 1));
    }
    REQUIRE(by_key.size() == 20);
    for (int i = 0; i < 20; ++i) {
        const auto& j = by_key.at("key" + std::to_string(i));
        CHECK(j["model"] == "linear");
        CHECK(j["version"] == "kcat-1");
        CHECK(j["status"] == "scored");
        CHECK(j["record"] == "data/0/" + std::to_string(i));
        CHECK(j["score"].get<double>() == Approx(100 + i * 0.5));
    }
    std::filesystem::remove_all(dir);
}
