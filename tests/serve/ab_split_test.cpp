// A/B split: weighted, sticky by key, weights changed on the control stream.
#include <catch2/catch.hpp>

#include "serve_test_util.hpp"

#include <map>

using namespace scorestream;
using namespace scorestream::testing;

namespace {
serve::ab_split split(double a, double b) {
    serve::ab_split ab;
    ab.arms = {{"a", a}, {"b", b}};
    ab.key_field = "customer";
    return ab;
}
// The arm point_of() gives a customer for weights (a, b), computed independently of the stage.
std::string arm_for(const std::string& customer, double a, double b) {
    return serve::ab_split_engine::point_of(Value::string(customer)) < a / (a + b) ? "a" : "b";
}
}  // namespace

TEST_CASE("every record goes to one arm, sticky by key and split by weight", "[serve][ab]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(scripted("t", "a", "1", "label A")).control(scripted("t", "b", "1", "label B"));
    const int customers = 200, rounds = 5;
    for (int r = 0; r < rounds; ++r)
        for (int c = 0; c < customers; ++c)
            s.data({r * customers + c, "t", 0, 0, "customer-" + std::to_string(c)});
    serve::serve_stats stats;
    serve::serve_options o;
    o.stats = &stats;
    std::vector<outcome> out;
    auto p =
        s.data_source() | join(s.control_source(), reg, split(70, 30), o) | serve::score() | collect(out);
    drain(p);
    REQUIRE(out.size() == std::size_t(customers * rounds));
    std::size_t on_a = 0;
    for (int c = 0; c < customers; ++c) {
        const std::string expected = arm_for("customer-" + std::to_string(c), 70, 30);
        for (int r = 0; r < rounds; ++r) {
            const auto& x = out[std::size_t(r * customers + c)];
            INFO("customer " << c << " round " << r);
            REQUIRE(x.answered_by == "arm " + expected);  // sticky: every round the same arm
            REQUIRE(x.answer == (expected == "a" ? "A" : "B"));
        }
        on_a += expected == "a";
    }
    const auto& st = *stats.find("t");
    REQUIRE(st.member("a")->answered == on_a * rounds);
    REQUIRE(st.member("b")->answered == (customers - on_a) * rounds);
    // The hash spreads keys: 200 customers at 70/30 land between 55% and 85% on a.
    REQUIRE(on_a > customers * 55 / 100);
    REQUIRE(on_a < customers * 85 / 100);
}

TEST_CASE("weights change mid-stream on the control stream; only keys in the moved share switch",
          "[serve][ab]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(scripted("t", "a", "1", "label A")).control(scripted("t", "b", "1", "label B"));
    const int customers = 100;
    for (int c = 0; c < customers; ++c) s.data({c, "t", 0, 0, "c" + std::to_string(c)});
    s.control(serve::weights_descriptor("t", {{"a", 20}, {"b", 80}}));
    for (int c = 0; c < customers; ++c) s.data({customers + c, "t", 0, 0, "c" + std::to_string(c)});
    s.control(serve::config_descriptor("t", "weights a=0 b=1"));
    for (int c = 0; c < customers; ++c) s.data({2 * customers + c, "t", 0, 0, "c" + std::to_string(c)});
    serve::serve_stats stats;
    serve::serve_options o;
    o.stats = &stats;
    std::vector<outcome> out;
    auto p =
        s.data_source() | join(s.control_source(), reg, split(50, 50), o) | serve::score() | collect(out);
    drain(p);
    REQUIRE(out.size() == std::size_t(3 * customers));
    int switched = 0;
    for (int c = 0; c < customers; ++c) {
        const std::string name = "c" + std::to_string(c);
        const auto& before = out[std::size_t(c)];
        const auto& after = out[std::size_t(customers + c)];
        REQUIRE(before.answered_by == "arm " + arm_for(name, 50, 50));
        REQUIRE(after.answered_by == "arm " + arm_for(name, 20, 80));
        // Moving a's share from 50% to 20% moves keys from a to b only, never from b to a.
        if (before.answered_by == "arm b") REQUIRE(after.answered_by == "arm b");
        switched += before.answered_by != after.answered_by;
        REQUIRE(out[std::size_t(2 * customers + c)].answered_by == "arm b");  // a=0: all on b
    }
    REQUIRE(switched > 0);
    REQUIRE(stats.find("t")->config_updates == 2);
}

TEST_CASE("bad weights are rejected and the old split stays", "[serve][ab]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(scripted("t", "a", "1", "label A"))
        .control(scripted("t", "b", "1", "label B"))
        .control(serve::config_descriptor("t", "weights a=1 c=2"))
        .control(serve::config_descriptor("t", "weights a=-1 b=2"))
        .control(serve::config_descriptor("t", "weights a=0 b=0"))
        .control(serve::config_descriptor("t", "weights a=x"))
        .control(serve::config_descriptor("t", "split a=1"))
        .data({1, "t", 0, 0, "k"});
    serve::serve_stats stats;
    serve::serve_options o;
    o.stats = &stats;
    std::vector<std::string> errors;
    std::vector<outcome> out;
    auto p = s.data_source() | join(s.control_source(), reg, split(1, 0), o) | serve::score() | collect(out);
    p.on_error([&](error_kind k, const record_error& e) {
        REQUIRE(k == error_kind::rejected_update);
        errors.push_back(e.message);
    });
    drain(p);
    REQUIRE(errors.size() == 5);
    REQUIRE_THAT(errors[0], Catch::Contains("unknown arm 'c' (arms: 'a', 'b')"));
    REQUIRE_THAT(errors[1], Catch::Contains("weight '-1' is not a non-negative number"));
    REQUIRE_THAT(errors[2], Catch::Contains("every weight is zero"));
    REQUIRE_THAT(errors[3], Catch::Contains("weight 'x'"));
    REQUIRE_THAT(errors[4], Catch::StartsWith("configuration 'split a=1' for ab_split on data type 't'"));
    REQUIRE(stats.find("t")->rejected_config == 5);
    REQUIRE(out[0].answered_by == "arm a");  // still 1:0
    REQUIRE(p.stats().find("t")->rejected_updates == 5);
}

TEST_CASE("an arm without a model hands its records to the first arm that has one", "[serve][ab]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(scripted("t", "b", "1", "label B")).data({1, "t", 0, 0, "k"});
    std::vector<outcome> out;
    auto p = s.data_source() | join(s.control_source(), reg, split(1, 0)) | serve::score() | collect(out);
    drain(p);
    REQUIRE(out[0].answered_by == "arm b (arm a has no model)");
    REQUIRE(out[0].answer == "B");
}

TEST_CASE("without a key, records are spread by weight", "[serve][ab]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(scripted("t", "a", "1", "label A")).control(scripted("t", "b", "1", "label B"));
    for (int i = 0; i < 1000; ++i) s.data({i});
    serve::ab_split ab;
    ab.arms = {{"a", 3}, {"b", 1}};
    serve::serve_stats stats;
    serve::serve_options o;
    o.stats = &stats;
    std::vector<outcome> out;
    auto p = s.data_source() | join(s.control_source(), reg, ab, o) | serve::score() | collect(out);
    drain(p);
    const auto a = stats.find("t")->member("a")->answered;
    REQUIRE(a >= 745);  // the golden-ratio sequence is evenly spread: 750 give or take a few
    REQUIRE(a <= 755);
}

TEST_CASE("weights before any arm's model: records are unscored with the reason", "[serve][ab]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(serve::weights_descriptor("t", {{"a", 1}, {"b", 1}}))
        .data({1, "t", 0, 0, "k"})
        .control(scripted("t", "a", "1", "label A"))
        .data({2, "t", 0, 0, "k"});
    std::vector<outcome> out;
    auto p = s.data_source() | join(s.control_source(), reg, split(1, 1)) | serve::score() | collect(out);
    drain(p);
    REQUIRE(out[0].status == score_status::no_model);
    REQUIRE(out[0].reason == "ab_split: no arm has a model");
    REQUIRE(out[1].answer == "A");
}
