// The renderers of scorestream::query on hand-made snapshots, without a server.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <scorestream/query/handler.hpp>

#include "prometheus.hpp"

using namespace scorestream;

namespace {

snapshot_ptr snapshot_with(const std::string& pipeline, const std::string& data_type, const model_stats& m) {
    auto s = std::make_shared<pipeline_snapshot>();
    s->name = pipeline;
    s->taken_at_ms = 1700000000123;
    auto& dt = s->stats.of(data_type);
    dt.models.push_back(m);
    dt.has_model = true;
    return s;
}

}  // namespace

TEST_CASE("label values with quotes, backslashes and line feeds are escaped", "[query]") {
    model_stats m;
    m.name = "say \"hi\"";
    m.version = "C:\\v1";
    m.usage = 3;
    const std::string odd = "multi\nline \"type\" \\ x";
    const auto text = query::render_metrics({snapshot_with("p\"1", odd, m)}, {});
    REQUIRE(text.find("data_type=\"multi\\nline \\\"type\\\" \\\\ x\"") != std::string::npos);
    const auto parsed = testing::parse_metrics(text);
    REQUIRE(parsed.at(
                "scorestream_model_usage_total",
                {{"pipeline", "p\"1"}, {"data_type", odd}, {"model", "say \"hi\""}, {"version", "C:\\v1"}}) ==
            3);
}

TEST_CASE("latency buckets count each duration under the first bound above its log-linear bucket",
          "[query]") {
    model_stats m;
    m.name = "m";
    m.version = "1";
    // 500 ns (exact bucket), 2 us, 7 us and 3 s.
    for (std::uint64_t ns : {500u, 2000u, 7000u}) m.record_duration(ns);
    m.record_duration(3'000'000'000ull);
    m.usage = 4;
    query::handler_options o;
    o.latency_buckets_seconds = {1e-6, 5e-6, 1e-5, 1.0};
    const auto parsed = testing::parse_metrics(query::render_metrics({snapshot_with("p", "t", m)}, o));
    auto bucket = [&](const std::string& le) {
        return parsed.at(
            "scorestream_model_latency_seconds_bucket",
            {{"pipeline", "p"}, {"data_type", "t"}, {"model", "m"}, {"version", "1"}, {"le", le}});
    };
    REQUIRE(bucket("1e-06") == 1);
    REQUIRE(bucket("5e-06") == 2);
    REQUIRE(bucket("1e-05") == 3);
    REQUIRE(bucket("1") == 3);
    REQUIRE(bucket("+Inf") == 4);
    REQUIRE(parsed.at("scorestream_model_latency_seconds_count",
                      {{"pipeline", "p"}, {"data_type", "t"}, {"model", "m"}, {"version", "1"}}) == 4);
}

TEST_CASE("a model installed twice is one series with the occurrences added", "[query]") {
    model_stats a;
    a.name = "m";
    a.version = "1";
    a.usage = 2;
    a.record_duration(100);
    auto s = snapshot_with("p", "t", a);
    auto& dt = const_cast<pipeline_snapshot&>(*s).stats.of("t");
    model_stats b = a;
    b.usage = 5;
    dt.models.push_back(b);
    const auto parsed = testing::parse_metrics(query::render_metrics({s}, {}));
    const testing::labels l{{"pipeline", "p"}, {"data_type", "t"}, {"model", "m"}, {"version", "1"}};
    REQUIRE(parsed.at("scorestream_model_usage_total", l) == 7);
    REQUIRE(parsed.at("scorestream_model_latency_seconds_count", l) == 2);
    REQUIRE(parsed.at("scorestream_model_current", l) == 1);
}

TEST_CASE("percent_decode and the handler without a server", "[query]") {
    std::string out;
    REQUIRE(query::percent_decode("a%20b%2Fc", out));
    REQUIRE(out == "a b/c");
    REQUIRE(query::percent_decode("plain+sign", out));
    REQUIRE(out == "plain+sign");
    REQUIRE_FALSE(query::percent_decode("bad%4", out));
    REQUIRE_FALSE(query::percent_decode("bad%g0", out));

    state_board board;
    const query::handler h(board);
    REQUIRE(h.handle("GET", "/models").status == 200);
    REQUIRE(h.handle("GET", "/models").body.find("\"data_types\": []") != std::string::npos);
    REQUIRE(h.handle("HEAD", "/models").status == 405);
    REQUIRE(h.handle("GET", "/").status == 404);
    REQUIRE(h.handle("GET", "/metrics").content_type.rfind("text/plain", 0) == 0);
    // An unknown data type that is not UTF-8 (and has a quote) still gets a well-formed JSON error.
    const auto odd = h.handle("GET", "/state/%FF%22x");
    REQUIRE(odd.status == 404);
    REQUIRE(nlohmann::json::parse(odd.body).at("status") == 404);
}
