// Best quality: highest confidence, a user quality function, ties, members without a confidence.
#include <catch2/catch.hpp>

#include "serve_test_util.hpp"

using namespace scorestream;
using namespace scorestream::testing;

TEST_CASE("the most confident answer wins and says so", "[serve][best_quality]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(scripted("t", "a", "1", "label cat\nconfidence 0.6"))
        .control(scripted("t", "b", "1", "label dog\nconfidence_from y"))
        .control(scripted("t", "c", "1", "label cow\nconfidence 0.7"))
        .data({1, "t", 0, 0.93})
        .data({2, "t", 0, 0.5})
        .data({3, "t", 0, 0.7});  // b ties c at 0.7: c comes later in member order, b keeps the lead
    serve::serve_stats stats;
    serve::serve_options o;
    o.stats = &stats;
    std::vector<outcome> out;
    auto p = s.data_source() |
             join(s.control_source(), reg, serve::best_quality{{"a", "b", "c"}, "confidence", {}}, o) |
             serve::score() | collect(out);
    drain(p);
    REQUIRE(out.size() == 3);
    REQUIRE(out[0].answer == "dog");
    REQUIRE(out[0].answered_by == "winner b (confidence 0.93)");
    REQUIRE(out[0].model == "b@1");
    REQUIRE(out[1].answer == "cow");
    REQUIRE(out[1].answered_by == "winner c (confidence 0.7)");
    REQUIRE(out[2].answered_by == "winner b (confidence 0.7)");
    REQUIRE(stats.find("t")->member("b")->answered == 2);
    REQUIRE(stats.find("t")->member("c")->answered == 1);
    REQUIRE(stats.find("t")->member("a")->answered == 0);
}

TEST_CASE("a user quality function decides; a failed or absent member cannot win", "[serve][best_quality]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(scripted("t", "a", "1", "answer 3\nfail_when x 1"))
        .control(scripted("t", "b", "1", "answer 8"))
        .data({1, "t", 1})
        .data({2, "t", 2});
    serve::best_quality bq;
    bq.members = {"a", "b", "c"};
    // Prefer the answer closest to 4.
    bq.quality = [](const Model&, const Prediction& p) { return -std::abs(p.value.as_number() - 4); };
    serve::serve_stats stats;
    serve::serve_options o;
    o.stats = &stats;
    std::vector<outcome> out;
    auto p = s.data_source() | join(s.control_source(), reg, bq, o) | serve::score() | collect(out);
    drain(p);
    REQUIRE(out[0].answered_by == "winner b (quality -4)");  // a failed
    REQUIRE(out[1].answered_by == "winner a (quality -1)");
    const auto& st = *stats.find("t");
    REQUIRE(st.member("a")->failed == 1);
    REQUIRE(st.member("c")->absent == 2);
}

TEST_CASE("members without a confidence rank last; none at all: the first answer", "[serve][best_quality]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(scripted("t", "a", "1", "answer 1"))
        .control(scripted("t", "b", "1", "answer 2"))
        .data({1})
        .control(scripted("t", "b", "2", "answer 2\nconfidence 0.1"))
        .data({2});
    std::vector<outcome> out;
    auto p = s.data_source() |
             join(s.control_source(), reg, serve::best_quality{{"a", "b"}, "confidence", {}}) |
             serve::score() | collect(out);
    drain(p);
    REQUIRE(out[0].answered_by == "winner a (no quality)");
    REQUIRE(out[1].answered_by == "winner b (confidence 0.1)");
    REQUIRE(out[1].model == "b@2");
}

TEST_CASE("a throwing quality function ranks that answer last and serving goes on", "[serve][best_quality]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(scripted("t", "a", "1", "answer 1")).control(scripted("t", "b", "1", "answer 2")).data({1});
    serve::best_quality bq;
    bq.members = {"a", "b"};
    bq.quality = [](const Model&, const Prediction& p) -> double {
        if (p.value.as_number() == 1) throw std::runtime_error("cannot rate");
        return 0.5;
    };
    std::vector<outcome> out;
    auto p = s.data_source() | join(s.control_source(), reg, bq) | serve::score() | collect(out);
    drain(p);
    REQUIRE(out[0].answered_by == "winner b (quality 0.5)");
}
