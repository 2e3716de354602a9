// Consensus: majority vote, median, ties, quorum.
#include <catch2/catch.hpp>

#include "serve_test_util.hpp"

using namespace scorestream;
using namespace scorestream::testing;

namespace {
void install(script<order, ModelDescriptor>& s,
             const std::vector<std::pair<std::string, std::string>>& members) {
    for (const auto& [role, text] : members) s.control(scripted("t", role, "1", text));
}
}  // namespace

TEST_CASE("vote: the majority label wins and every agreeing member is named", "[serve][consensus]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    install(s, {{"a", "label cat"}, {"b", "label dog"}, {"c", "label dog"}});
    s.data({1});
    std::vector<outcome> out;
    serve::serve_stats stats;
    serve::serve_options o;
    o.stats = &stats;
    auto p = s.data_source() | join(s.control_source(), reg, serve::consensus{{"a", "b", "c"}}, o) |
             serve::score() | collect(out);
    drain(p);
    REQUIRE(out[0].answer == "dog");
    REQUIRE(out[0].model == "b@1");
    REQUIRE(out[0].answered_by == "vote 2 of 3: b, c");
    const auto& st = *stats.find("t");
    REQUIRE(st.majority == 1);
    REQUIRE(st.unanimous == 0);
    REQUIRE(st.ties == 0);
    REQUIRE(st.member("b")->answered == 1);
}

TEST_CASE("vote ties are broken by member order and counted", "[serve][consensus]") {
    auto reg = scripted_registry();
    serve::serve_stats stats;
    serve::serve_options o;
    o.stats = &stats;
    std::vector<outcome> out;
    SECTION("1-1-1") {
        script<order, ModelDescriptor> s;
        install(s, {{"a", "label x"}, {"b", "label y"}, {"c", "label z"}});
        s.data({1});
        auto p = s.data_source() | join(s.control_source(), reg, serve::consensus{{"c", "b", "a"}}, o) |
                 serve::score() | collect(out);
        drain(p);
        REQUIRE(out[0].answer == "z");  // c comes first in the member order
        REQUIRE(out[0].answered_by == "vote 1 of 3 (tie, member order): c");
    }
    SECTION("2-2 among four") {
        script<order, ModelDescriptor> s;
        install(s, {{"a", "label x"}, {"b", "label y"}, {"c", "label y"}, {"d", "label x"}});
        s.data({1});
        auto p = s.data_source() | join(s.control_source(), reg, serve::consensus{{"b", "a", "c", "d"}}, o) |
                 serve::score() | collect(out);
        drain(p);
        REQUIRE(out[0].answer == "y");  // y's first voter b precedes x's first voter a
        REQUIRE(out[0].answered_by == "vote 2 of 4 (tie, member order): b, c");
    }
    REQUIRE(stats.find("t")->ties == 1);
    REQUIRE(stats.find("t")->majority == 0);
}

TEST_CASE("numbers vote by exact value in vote mode", "[serve][consensus]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    install(s, {{"a", "answer 1"}, {"b", "answer 0"}, {"c", "answer 1"}});
    s.data({1});
    serve::consensus c{{"a", "b", "c"}, serve::consensus_mode::vote, 0};
    std::vector<outcome> out;
    auto p = s.data_source() | join(s.control_source(), reg, c) | serve::score() | collect(out);
    drain(p);
    REQUIRE(out[0].answer == "1");
    REQUIRE(out[0].answered_by == "vote 2 of 3: a, c");
}

TEST_CASE("median: the middle answer; with an even count the lower middle", "[serve][consensus]") {
    auto reg = scripted_registry();
    std::vector<outcome> out;
    serve::serve_stats stats;
    serve::serve_options o;
    o.stats = &stats;
    script<order, ModelDescriptor> s;
    // a = 10 + x, b = 2 * ... : answers depend on the record so the median member changes.
    install(
        s,
        {{"a", "answer 10"}, {"b", "answer 0\nplus x"}, {"c", "answer 5"}, {"d", "answer 7\nfail_when y 1"}});
    s.data({1, "t", 1, 1})      // a 10, b 1, c 5 (d fails): median of 3 = c
        .data({2, "t", 20, 0})  // a 10, b 20, c 5, d 7: sorted 5 7 10 20: lower middle = d (7)
        .data({3, "t", 5,
               0});  // a 10, b 5, c 5, d 7: sorted b5 c5 d7 a10: lower middle = c (equal values keep order)
    auto p = s.data_source() | join(s.control_source(), reg, serve::consensus{{"a", "b", "c", "d"}}, o) |
             serve::score() | collect(out);
    drain(p);
    REQUIRE(out.size() == 3);
    REQUIRE(out[0].answer == "5");
    REQUIRE(out[0].answered_by == "median of 3: c");
    REQUIRE(out[1].answer == "7");
    REQUIRE(out[1].answered_by == "median of 4: d");
    REQUIRE(out[2].answer == "5");
    REQUIRE(out[2].answered_by == "median of 4: c");
    const auto& st = *stats.find("t");
    REQUIRE(st.member("d")->failed == 1);
    REQUIRE(st.member("c")->answered == 2);
    REQUIRE(p.stats().find("t/d")->current()->failures == 1);
}

TEST_CASE("fewer answers than the quorum fail the record with the count", "[serve][consensus]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    install(s, {{"a", "answer 1\nthrow_when x 1"}, {"b", "answer 1\nfail_when x 1"}, {"c", "answer 1"}});
    s.data({1, "t", 1}).data({2, "t", 2});
    serve::serve_stats stats;
    serve::serve_options o;
    o.stats = &stats;
    std::vector<outcome> out;
    auto p = s.data_source() | join(s.control_source(), reg, serve::consensus{{"a", "b", "c"}}, o) |
             serve::score() | collect(out);
    drain(p);
    REQUIRE(out[0].status == score_status::failed);
    REQUIRE(out[0].reason == "no quorum: 1 of 3 members answered, 2 needed");
    REQUIRE(out[0].answered_by == "no quorum");
    REQUIRE(out[0].model.empty());
    REQUIRE(out[1].answered_by == "median of 3: b");  // all numbers: automatic mode takes the median
    REQUIRE(stats.find("t")->no_quorum == 1);
    REQUIRE(stats.find("t")->unanswered == 1);
}
