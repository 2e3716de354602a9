// Shadow: the candidate is scored beside the primary, never changes the output, agreement is counted.
#include <catch2/catch.hpp>

#include "serve_test_util.hpp"

using namespace scorestream;
using namespace scorestream::testing;

TEST_CASE("the output is the primary's; agreement with the candidate is recorded", "[serve][shadow]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(scripted("t", "primary", "1", "answer 0\nplus x"))
        .data({1, "t", 1})  // no candidate yet
        .control(scripted("t", "candidate", "1", "answer 0.05\nplus x\nfail_when y 1"))
        .data({2, "t", 2})     // 2 vs 2.05: agree within 0.1
        .data({3, "t", 3, 1})  // candidate fails
        .control(scripted("t", "candidate", "2", "answer 1\nplus x"))
        .data({4, "t", 4})   // 4 vs 5: disagree
        .data({5, "t", 5});  // 5 vs 6: disagree
    serve::shadow sh;
    sh.tolerance = 0.1;
    serve::serve_stats stats;
    serve::serve_options o;
    o.stats = &stats;
    std::vector<outcome> out;
    auto p = s.data_source() | join(s.control_source(), reg, sh, o) | serve::score() | collect(out);
    drain(p);
    REQUIRE(out.size() == 5);
    for (int i = 0; i < 5; ++i) {
        REQUIRE(out[std::size_t(i)].model == "primary@1");
        REQUIRE(out[std::size_t(i)].answer == std::to_string(i + 1));
    }
    REQUIRE(out[0].answered_by == "primary");
    REQUIRE(out[1].answered_by == "primary (shadow agreed)");
    REQUIRE(out[2].answered_by == "primary (shadow failed)");
    REQUIRE(out[3].answered_by == "primary (shadow disagreed)");
    const auto& st = *stats.find("t");
    REQUIRE(st.compared == 3);
    REQUIRE(st.agreed == 1);
    REQUIRE(st.agreement_rate() == Approx(1.0 / 3));
    REQUIRE(st.candidate_failed == 1);
    REQUIRE(st.mean_abs_diff() == Approx((0.05 + 1 + 1) / 3));
    REQUIRE(st.member("primary")->answered == 5);
    REQUIRE(st.member("candidate")->answered == 0);
    REQUIRE(st.member("candidate")->absent == 1);
    // The candidate's own serving stats, per version.
    const auto* c = p.stats().find("t/candidate");
    REQUIRE(c->models.size() == 2);
    REQUIRE(c->models[0].usage == 2);
    REQUIRE(c->models[0].failures == 1);
    REQUIRE(c->current()->usage == 2);
}

TEST_CASE("a candidate alone answers nothing: the shadow never affects output", "[serve][shadow]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(scripted("t", "candidate", "1", "answer 1")).data({1});
    std::vector<outcome> out;
    auto p = s.data_source() | join(s.control_source(), reg, serve::shadow{}) | serve::score() | collect(out);
    drain(p);
    REQUIRE(out[0].status == score_status::no_model);
    REQUIRE(out[0].reason == "no model for member 'primary' of data type 't'");
    REQUIRE(out[0].model.empty());
}
