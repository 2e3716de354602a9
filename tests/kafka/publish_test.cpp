// scorestream-publish: a model file becomes a ModelDescriptor on the control topic.

#include "kafka_test_util.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace kafka_test;

TEST_CASE("kafka: scorestream-publish publishes a model file as a ModelDescriptor", "[kafka][publish]") {
    scorestream::kafka::embedded_cluster cluster;
    cluster.create_topic("models", 1);
    const char* base = std::getenv("SCORESTREAM_TEST_TMP");
    const auto dir =
        std::filesystem::path(base ? base : "/tmp") / ("publish-" + std::to_string(::getpid())) / "wine";
    std::filesystem::create_directories(dir);
    const std::string pmml = "<PMML version=\"4.4\"/>";
    std::ofstream(dir / "quality@7.pmml") << pmml;

    const std::string command = std::string(SCORESTREAM_PUBLISH) + " --brokers " +
                                cluster.bootstrap_servers() + " --topic models " +
                                (dir / "quality@7.pmml").string() + " 2>&1";
    FILE* f = ::popen(command.c_str(), "r");
    REQUIRE(f != nullptr);
    char buf[512];
    std::string out;
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    INFO(out);
    REQUIRE(::pclose(f) == 0);
    CHECK(out.find("published quality@7") != std::string::npos);

    auto ms = read_topic(cluster.client(), "models", 1);
    REQUIRE(ms.size() == 1);
    CHECK(ms[0].key == std::optional<std::string>("wine"));
    scorestream::proto::ModelDescriptor d;
    REQUIRE(d.ParseFromString(ms[0].payload));
    CHECK(d.name() == "quality");
    CHECK(d.version() == "7");
    CHECK(d.data_type() == "wine");
    CHECK(d.model_type() == scorestream::proto::PMML);
    CHECK(d.data() == pmml);
    CHECK(d.created_at_ms() > 0);
    std::filesystem::remove_all(dir.parent_path());
}
