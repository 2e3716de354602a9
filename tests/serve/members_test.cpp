// Members of a group are addressed by role and replaced independently on the control stream.
#include <catch2/catch.hpp>

#include "serve_test_util.hpp"

#include <chrono>
#include <thread>

using namespace scorestream;
using namespace scorestream::testing;

namespace {
serve::consensus abc() { return serve::consensus{{"a", "b", "c"}}; }
ModelDescriptor answer(std::string role, std::string version, double x) {
    // Labels, so that the consensus votes (numbers would take the median).
    return scripted("t", std::move(role), std::move(version), "label " + std::to_string(int(x)));
}
}  // namespace

TEST_CASE("each member is replaced on its own; the others keep their version", "[serve][members]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(answer("a", "1", 1))
        .control(answer("b", "1", 1))
        .control(answer("c", "1", 2))
        .data({1})  // a, b vote 1
        .control(answer("b", "2", 2))
        .data({2})  // b, c vote 2
        .control(answer("c", "2", 1))
        .data({3});  // a, c vote 1
    std::vector<outcome> out;
    auto p = s.data_source() | join(s.control_source(), reg, abc()) | serve::score() | collect(out);
    drain(p);
    REQUIRE(out.size() == 3);
    REQUIRE(out[0].answer == "1");
    REQUIRE(out[0].answered_by == "vote 2 of 3: a, b");
    REQUIRE(out[0].model == "a@1");
    REQUIRE(out[1].answer == "2");
    REQUIRE(out[1].answered_by == "vote 2 of 3: b, c");
    REQUIRE(out[1].model == "b@2");
    REQUIRE(out[2].answered_by == "vote 2 of 3: a, c");

    // Per-member serving stats, one model history per member.
    const auto* a = p.stats().find("t/a");
    const auto* b = p.stats().find("t/b");
    REQUIRE((a && b));
    REQUIRE(a->accepted_updates == 1);
    REQUIRE(a->current()->usage == 3);
    REQUIRE(b->accepted_updates == 2);
    REQUIRE(b->models.size() == 2);
    REQUIRE(b->models[0].usage == 1);
    REQUIRE(b->current()->version == "2");
    REQUIRE(b->current()->usage == 2);
}

TEST_CASE("a bad member update is rejected; that member's old model and the others keep serving",
          "[serve][members]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(answer("a", "1", 1))
        .control(answer("b", "1", 1))
        .control(answer("c", "1", 1))
        .data({1})
        .control(scripted("t", "b", "2", "answer oops\n"))  // fails to build
        .control(scripted("t", "d", "1", "label 1\n"))      // no such member
        .control(scripted("t", "b", "3", "nonsense 1\n"))   // fails to build
        .data({2});
    std::vector<outcome> out;
    std::vector<std::string> errors;
    auto p = s.data_source() | join(s.control_source(), reg, abc()) | serve::score() | collect(out);
    p.on_error([&](error_kind k, const record_error& e) {
        REQUIRE(k == error_kind::rejected_update);
        errors.push_back(e.message);
    });
    drain(p);
    REQUIRE(out.size() == 2);
    REQUIRE(out[1].answered_by == "vote 3 of 3: a, b, c");
    REQUIRE(out[1].model == "a@1");
    REQUIRE(errors.size() == 3);
    REQUIRE_THAT(errors[0], Catch::StartsWith("member 'b': model 'b' version '2'") &&
                                Catch::Contains("answer needs a number"));
    REQUIRE_THAT(errors[1],
                 Catch::Contains("addresses member 'd', which the consensus strategy does not have "
                                 "(members: 'a', 'b', 'c')"));
    REQUIRE_THAT(errors[2], Catch::Contains("unknown word 'nonsense'"));
    const auto* b = p.stats().find("t/b");
    REQUIRE(b->rejected_updates == 2);
    REQUIRE(b->accepted_updates == 1);
    REQUIRE(b->current()->version == "1");
    REQUIRE(b->current()->usage == 2);
    REQUIRE(p.stats().find("t")->rejected_updates == 1);  // the unknown role
    REQUIRE(p.counters().rejected_updates == 3);
}

TEST_CASE("'role@model' addresses the role; the model keeps its full name", "[serve][members]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(scripted("t", "a@gbm", "7", "label 5"))
        .control(scripted("t", "b@forest", "1", "label 5"))
        .control(scripted("t", "c", "1", "label 6"))
        .data({1});
    std::vector<outcome> out;
    auto p = s.data_source() | join(s.control_source(), reg, abc()) | serve::score() | collect(out);
    drain(p);
    REQUIRE(out[0].model == "a@gbm@7");
    REQUIRE(out[0].answered_by == "vote 2 of 3: a, b");
    REQUIRE(p.stats().find("t/a")->current()->name == "a@gbm");
}

TEST_CASE("data types have their own groups; records before any member follow the policy",
          "[serve][members]") {
    auto reg = scripted_registry();
    SECTION("emit: unscored with the reason") {
        script<order, ModelDescriptor> s;
        s.data({1, "red"})
            .control(scripted("red", "primary", "1", "answer 1"))
            .control(scripted("white", "primary", "1", "answer 2"))
            .data({2, "red"})
            .data({3, "white"})
            .data({4, "rose"});
        std::vector<outcome> out;
        auto p =
            s.data_source() | join(s.control_source(), reg, serve::shadow{}) | serve::score() | collect(out);
        drain(p);
        REQUIRE(out.size() == 4);
        REQUIRE(out[0].status == score_status::no_model);
        REQUIRE(out[0].reason == "no model for data type 'red'");
        REQUIRE(out[1].answer == "1");
        REQUIRE(out[2].answer == "2");
        REQUIRE(out[3].reason == "no model for data type 'rose'");
        REQUIRE(p.stats().find("rose")->unscored == 1);
    }
    SECTION("hold: waits for the first member") {
        script<order, ModelDescriptor> s;
        s.data({1}).data({2}).control(scripted("t", "primary", "1", "answer 3")).data({3});
        serve::serve_options o;
        o.policy = before_state::hold;
        std::vector<outcome> out;
        auto p = s.data_source() | join(s.control_source(), reg, serve::shadow{}, o) | serve::score() |
                 collect(out);
        drain(p);
        REQUIRE(out.size() == 3);
        for (const auto& r : out) REQUIRE(r.answer == "3");
    }
}

TEST_CASE("strategies without run-time configuration reject a config message", "[serve][members]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.control(answer("a", "1", 1)).control(serve::config_descriptor("t", "weights a=1")).data({1});
    std::vector<outcome> out;
    std::vector<std::string> errors;
    serve::serve_stats stats;
    serve::serve_options o;
    o.stats = &stats;
    auto p = s.data_source() | join(s.control_source(), reg, abc(), o) | serve::score() | collect(out);
    p.on_error([&](error_kind, const record_error& e) { errors.push_back(e.message); });
    drain(p);
    REQUIRE(errors.size() == 1);
    REQUIRE_THAT(errors[0], Catch::Contains("this strategy has no run-time configuration"));
    REQUIRE(stats.find("t")->rejected_config == 1);
    REQUIRE(stats.find("t")->strategy == "consensus");
    // One member of three: no quorum, said plainly.
    REQUIRE(out[0].status == score_status::failed);
    REQUIRE(out[0].reason == "no quorum: 1 of 3 members answered, 2 needed");
}

TEST_CASE("unusable strategy configurations are refused when the pipeline is composed", "[serve][members]") {
    auto reg = scripted_registry();
    control_queue<ModelDescriptor> q;
    REQUIRE_THROWS_AS(join(q.source(), reg, serve::consensus{{"a", "b"}}), invalid_value_error);
    REQUIRE_THROWS_AS(join(q.source(), reg, serve::consensus{{"a", "b", "a"}}), invalid_value_error);
    REQUIRE_THROWS_AS(join(q.source(), reg, serve::ab_split{{{"a", 0}, {"b", 0}}, ""}), invalid_value_error);
    REQUIRE_THROWS_AS(join(q.source(), reg, serve::best_quality{{"a"}, "confidence", {}}),
                      invalid_value_error);
    serve::deadline d;
    d.budget = std::chrono::nanoseconds(0);
    REQUIRE_THROWS_AS(join(q.source(), reg, d), invalid_value_error);
    serve::shadow sh;
    sh.candidate = "primary";
    REQUIRE_THROWS_AS(join(q.source(), reg, sh), invalid_value_error);
}

TEST_CASE("members built off the data path (built_models) are published and rejected the same way",
          "[serve][members][threads]") {
    auto reg = scripted_registry();
    control_queue<ModelDescriptor> models;
    models.push(scripted("t", "a", "1", "label x"));
    models.push(scripted("t", "b@gbm", "1", "label y"));
    models.push(scripted("t", "c", "1", "label y"));
    models.push(scripted("t", "b", "2", "answer oops"));            // fails to build on the builder thread
    models.push(serve::config_descriptor("t", "weights a=1 b=1"));  // cannot travel through built_models()
    control_queue<order> data;
    std::vector<outcome> out;
    std::vector<std::string> errors;
    auto p = data.source() |
             join(built_models(models.source(), reg), reg, serve::consensus{{"a", "b", "c"}}) |
             serve::score() | collect(out);
    p.on_error([&](error_kind, const record_error& e) { errors.push_back(e.message); });
    // Wait (bounded) until the builder thread has handed over all five updates.
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (p.counters().control_messages < 5 && std::chrono::steady_clock::now() < give_up) {
        p.poll(1);
        std::this_thread::yield();
    }
    data.push({1});
    data.close();
    drain(p);
    REQUIRE(p.counters().control_messages == 5);
    REQUIRE(out.size() == 1);
    REQUIRE(out[0].answered_by == "vote 2 of 3: b, c");
    REQUIRE(out[0].model == "b@gbm@1");
    REQUIRE(errors.size() == 2);
    REQUIRE_THAT(errors[0], Catch::StartsWith("member 'b': ") && Catch::Contains("answer needs a number"));
    REQUIRE_THAT(errors[1], Catch::Contains("arrived through built_models()"));
    REQUIRE(p.stats().find("t/b")->rejected_updates == 1);
}

TEST_CASE("drop policy: records before any member are dropped and counted per data type",
          "[serve][members]") {
    auto reg = scripted_registry();
    script<order, ModelDescriptor> s;
    s.data({1}).data({2}).control(scripted("t", "primary", "1", "answer 1")).data({3});
    serve::serve_options o;
    o.policy = before_state::drop;
    std::vector<outcome> out;
    auto p =
        s.data_source() | join(s.control_source(), reg, serve::shadow{}, o) | serve::score() | collect(out);
    drain(p);
    REQUIRE(out.size() == 1);
    REQUIRE(out[0].id == 3);
    REQUIRE(p.stats().find("t")->dropped == 2);
    REQUIRE(p.counters().dropped == 2);
}
