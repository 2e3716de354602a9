// Serving-strategy stats (serve_stats) travel in the pipeline's snapshots to /state/{data_type} and
// /metrics; read here with a real HTTP client over loopback.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <scorestream/query/server.hpp>
#include <serve/serve_test_util.hpp>

#include "http_client.hpp"
#include "prometheus.hpp"

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

using namespace scorestream;
using namespace scorestream::testing;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

// Runs one serving pipeline over script `s` to its end, publishing to `board` as `name`.
template <class Strategy>
void run_served(state_board& board, const std::string& name, script<order, ModelDescriptor>& s,
                Strategy strategy) {
    const ModelRegistry reg = scripted_registry();
    auto p = s.data_source() | join(s.control_source(), reg, std::move(strategy)) | serve::score() |
             sink([](const Scored<order>&) {});
    p.on_error([](error_kind, const record_error&) {});
    publish_options po;
    po.name = name;
    p.publish_to(board, po);
    p.run();
}

// Four finished pipelines on data type "t", one per strategy, with known outcomes.
void run_strategies(state_board& board) {
    {  // deadline: x=1 fails the primary (fallback answers), x=2 and x=3 in time
        script<order, ModelDescriptor> s;
        s.control(scripted("t", "primary", "1", "answer 100\nfail_when x 1"))
            .control(scripted("t", "fallback", "1", "answer 0\nplus x"));
        s.data({1, "t", 1}).data({2, "t", 2}).data({3, "t", 3});
        serve::deadline d;
        d.budget = 2ms;
        d.executor = std::make_shared<serve::scripted_runner>([](std::size_t) { return 0ns; });
        run_served(board, "deadline", s, d);
    }
    {  // consensus: x=1 is a 2-1 majority; on x=2 member c fails, leaving a 1-1 tie
        script<order, ModelDescriptor> s;
        s.control(scripted("t", "a", "1", "label cat"))
            .control(scripted("t", "b", "1", "label dog"))
            .control(scripted("t", "c", "1", "label dog\nfail_when x 2"));
        s.data({1, "t", 1}).data({2, "t", 2});
        run_served(board, "consensus", s, serve::consensus{{"a", "b", "c"}});
    }
    {  // A/B: four customers, a weights update in between and one refused configuration
        script<order, ModelDescriptor> s;
        s.control(scripted("t", "a", "1", "answer 1")).control(scripted("t", "b", "1", "answer 2"));
        for (int i = 0; i < 4; ++i) s.data({i, "t", 0, 0, "customer-" + std::to_string(i)});
        s.control(serve::weights_descriptor("t", {{"a", 3}, {"b", 1}}));
        s.control(serve::config_descriptor("t", "nonsense"));
        for (int i = 4; i < 8; ++i) s.data({i, "t", 0, 0, "customer-" + std::to_string(i)});
        serve::ab_split ab;
        ab.arms = {{"a", 1}, {"b", 1}};
        ab.key_field = "customer";
        run_served(board, "ab", s, ab);
    }
    {  // shadow: the candidate ignores x, so it agrees on x=0 only; |diff| = 0 + 1 + 2
        script<order, ModelDescriptor> s;
        s.control(scripted("t", "primary", "1", "answer 1\nplus x"))
            .control(scripted("t", "candidate", "1", "answer 1"));
        s.data({1, "t", 0}).data({2, "t", 1}).data({3, "t", 2});
        run_served(board, "shadow", s, serve::shadow{});
    }
}

const json& pipeline_entry(const json& state, const std::string& name) {
    for (const auto& p : state.at("pipelines"))
        if (p.at("pipeline") == name) return p;
    throw std::runtime_error("no pipeline " + name + " in " + state.dump());
}

}  // namespace

TEST_CASE("snapshots carry the strategy stats of every serving join", "[query][serve]") {
    state_board board;
    run_strategies(board);

    const auto d = board.latest("deadline")->strategies.at("t");
    REQUIRE(d.strategy == "deadline");
    REQUIRE(d.records == 3);
    REQUIRE(d.primary_in_time == 2);
    REQUIRE(d.primary_failed == 1);
    REQUIRE(d.fallbacks == 1);

    const auto c = board.latest("consensus")->strategies.at("t");
    REQUIRE(c.strategy == "consensus");
    REQUIRE(c.records == 2);
    REQUIRE(c.majority == 1);
    REQUIRE(c.ties == 1);
    REQUIRE(c.member("c")->failed == 1);

    const auto ab = board.latest("ab")->strategies.at("t");
    REQUIRE(ab.strategy == "ab_split");
    REQUIRE(ab.records == 8);
    REQUIRE(ab.member("a")->answered + ab.member("b")->answered == 8);
    REQUIRE(ab.config_updates == 1);
    REQUIRE(ab.rejected_config == 1);

    const auto sh = board.latest("shadow")->strategies.at("t");
    REQUIRE(sh.strategy == "shadow");
    REQUIRE(sh.compared == 3);
    REQUIRE(sh.agreed == 1);
    REQUIRE(sh.numeric_compared == 3);
    REQUIRE(sh.total_abs_diff == 3.0);
}

TEST_CASE("GET /state/{data_type} shows each pipeline's strategy stats", "[query][serve]") {
    state_board board;
    run_strategies(board);
    query::server server(board);

    const auto r = http_get(server.port(), "/state/t");
    INFO(r.body);
    REQUIRE(r.status == 200);
    const json state = json::parse(r.body);
    REQUIRE(state.at("pipelines").size() == 4);

    const json& d = pipeline_entry(state, "deadline").at("strategy");
    REQUIRE(d.at("name") == "deadline");
    REQUIRE(d.at("records") == 3);
    REQUIRE(d.at("deadline").at("fallbacks") == 1);
    REQUIRE(d.at("deadline").at("primary_in_time") == 2);
    REQUIRE(d.at("deadline").at("primary_failed") == 1);
    REQUIRE(d.at("members").size() == 2);
    REQUIRE(d.at("members")[0].at("role") == "primary");
    REQUIRE(d.at("members")[0].at("answered") == 2);
    REQUIRE(d.at("members")[1].at("role") == "fallback");
    REQUIRE(d.at("members")[1].at("answered") == 1);
    REQUIRE_FALSE(d.contains("votes"));  // only the counters of the strategy in use

    const json& c = pipeline_entry(state, "consensus").at("strategy");
    REQUIRE(c.at("votes").at("majority") == 1);
    REQUIRE(c.at("votes").at("ties") == 1);
    REQUIRE(c.at("votes").at("unanimous") == 0);
    REQUIRE(c.at("members")[2].at("failed") == 1);

    const json& ab = pipeline_entry(state, "ab").at("strategy");
    const auto arms = board.latest("ab")->strategies.at("t");
    REQUIRE(ab.at("members")[0].at("answered") == arms.member("a")->answered);
    REQUIRE(ab.at("members")[1].at("answered") == arms.member("b")->answered);
    REQUIRE(ab.at("config_updates") == 1);
    REQUIRE(ab.at("rejected_config") == 1);

    const json& sh = pipeline_entry(state, "shadow").at("strategy");
    REQUIRE(sh.at("shadow").at("compared") == 3);
    REQUIRE(sh.at("shadow").at("agreed") == 1);
    REQUIRE(sh.at("shadow").at("agreement_rate").get<double>() == Approx(1.0 / 3.0));
    REQUIRE(sh.at("shadow").at("mean_abs_diff").get<double>() == Approx(1.0));

    // A member's own model stats are under "<data_type>/<role>".
    const auto member = http_get(server.port(), "/state/t%2Fprimary");
    REQUIRE(member.status == 200);
    REQUIRE(json::parse(member.body).at("pipelines").size() == 2);  // deadline and shadow
}

TEST_CASE("GET /metrics has the strategy counters per pipeline, data type and member", "[query][serve]") {
    state_board board;
    run_strategies(board);
    query::server server(board);

    const auto r = http_get(server.port(), "/metrics");
    REQUIRE(r.status == 200);
    const auto m = parse_metrics(r.body);  // strict: every sample has a TYPE, no series twice
    auto l = [](const char* pipeline, const char* strategy) {
        return labels{{"pipeline", pipeline}, {"data_type", "t"}, {"strategy", strategy}};
    };
    REQUIRE(m.types.at("scorestream_serve_records_total") == "counter");
    REQUIRE(m.at("scorestream_serve_records_total", l("deadline", "deadline")) == 3);
    REQUIRE(m.at("scorestream_serve_records_total", l("ab", "ab_split")) == 8);
    REQUIRE(m.at("scorestream_serve_fallbacks_total", l("deadline", "deadline")) == 1);
    REQUIRE(m.at("scorestream_serve_primary_in_time_total", l("deadline", "deadline")) == 2);
    REQUIRE(m.at("scorestream_serve_ties_total", l("consensus", "consensus")) == 1);
    REQUIRE(m.at("scorestream_serve_majority_total", l("consensus", "consensus")) == 1);
    REQUIRE(m.at("scorestream_serve_shadow_agreed_total", l("shadow", "shadow")) == 1);
    REQUIRE(m.at("scorestream_serve_shadow_compared_total", l("shadow", "shadow")) == 3);
    REQUIRE(m.types.at("scorestream_serve_shadow_agreement_ratio") == "gauge");
    REQUIRE(m.at("scorestream_serve_shadow_agreement_ratio", l("shadow", "shadow")) == Approx(1.0 / 3.0));
    REQUIRE(m.at("scorestream_serve_config_updates_total", l("ab", "ab_split")) == 1);
    REQUIRE(m.at("scorestream_serve_config_rejected_total", l("ab", "ab_split")) == 1);

    // A/B arm counts: one series per member and outcome, adding up to the records.
    const auto arms = board.latest("ab")->strategies.at("t");
    double answered = 0;
    for (const char* arm : {"a", "b"}) {
        auto ml = l("ab", "ab_split");
        ml["member"] = arm;
        ml["outcome"] = "answered";
        REQUIRE(m.at("scorestream_serve_member_records_total", ml) == double(arms.member(arm)->answered));
        answered += m.at("scorestream_serve_member_records_total", ml);
    }
    REQUIRE(answered == 8);

    // Strategy-specific families appear only for the strategy that moves them.
    for (const auto* s : m.all("scorestream_serve_ties_total"))
        REQUIRE(s->labels_.at("strategy") == "consensus");
    REQUIRE_THROWS(m.at("scorestream_serve_fallbacks_total", l("shadow", "shadow")));
}

TEST_CASE("a pipeline without a serving join has no strategy stats", "[query][serve]") {
    state_board board;
    script<order, ModelDescriptor> s;
    s.data({1, "t", 1});
    auto p = s.data_source() | sink([](const order&) {});
    publish_options po;
    po.name = "plain";
    p.publish_to(board, po);
    p.run();
    REQUIRE(board.latest("plain")->strategies.empty());
    query::server server(board);
    const auto r = http_get(server.port(), "/metrics");
    REQUIRE(r.status == 200);
    REQUIRE(r.body.find("scorestream_serve_") == std::string::npos);
}
