// The code samples of docs/serve.md, compiled and run. Each snippet appears in docs/serve.md
// verbatim (checked by the ctest serve.doc_snippets), so the page cannot drift from the code.
#include <catch2/catch.hpp>

#include "serve_test_util.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace scorestream;
using scorestream::testing::order;
using scorestream::testing::scripted;

namespace {
std::vector<order> some_orders() {
    std::vector<order> v;
    for (int i = 0; i < 6; ++i) v.push_back({i, "orders", double(i), 0, "customer " + std::to_string(i % 3)});
    return v;
}
}  // namespace

TEST_CASE("docs/serve.md: consensus, members on the control stream, stats", "[serve][docs]") {
    ModelRegistry registry = testing::scripted_registry();
    control_queue<ModelDescriptor> models;
    models.push(scripted("orders", "a", "1", "label cat"));
    models.push(scripted("orders", "b", "1", "label cat"));
    models.push(scripted("orders", "c", "1", "label dog"));
    const std::vector<order> orders = some_orders();
    std::vector<std::string> lines;

    // ---- snippet: consensus ----
    serve::serve_stats strategy_stats;  // read it on the pipeline's thread, e.g. between polls
    serve::serve_options o;
    o.stats = &strategy_stats;
    auto p =
        from(orders)                                                             //
        | join(models.source(), registry, serve::consensus{{"a", "b", "c"}}, o)  //
        | serve::score()                                                         //
        | sink([&](const Scored<order>& r) {
              lines.push_back(to_string(r.prediction.value) + " by " + r.model_name() + ": " + r.answered_by);
          });
    p.run();  // lines[0] == "cat by a: vote 2 of 3: a, b"
    // ---- end ----
    REQUIRE(lines.size() == orders.size());
    REQUIRE(lines[0] == "cat by a: vote 2 of 3: a, b");

    // ---- snippet: stats ----
    const serve::strategy_stats& st = *strategy_stats.find("orders");
    // st.records == 6, st.majority == 6, st.member("a")->answered == 6
    const data_type_stats& b = *p.stats().find("orders/b");  // member b's own serving stats
    // b.current()->usage == 6, b.accepted_updates == 1, b.rejected_updates == 0
    // ---- end ----
    REQUIRE(st.records == 6);
    REQUIRE(st.majority == 6);
    REQUIRE(st.member("a")->answered == 6);
    REQUIRE(b.current()->usage == 6);
    REQUIRE(b.accepted_updates == 1);
}

TEST_CASE("docs/serve.md: addressing members and configuring on the control stream", "[serve][docs]") {
    control_queue<ModelDescriptor> models;
    // ---- snippet: addressing ----
    ModelDescriptor b;
    b.set_data_type("orders");
    b.set_name("b@forest");  // member "b"; the model keeps its name "b@forest"
    b.set_version("8");
    b.set_model_type(proto::CUSTOM);
    b.set_custom_type("scripted");  // any type the registry builds: PMML, ONNX, your own
    b.set_data("label dog");
    models.push(b);  // replaces member b of data type "orders"; the other members keep serving

    models.push(serve::weights_descriptor("orders", {{"a", 90}, {"b", 10}}));  // "weights a=90 b=10"
    // ---- end ----
    REQUIRE(serve::role_of(b) == "b");
    REQUIRE(models.size() == 2);
}

TEST_CASE("docs/serve.md: the strategies' options", "[serve][docs]") {
    ModelRegistry registry = testing::scripted_registry();
    // Every pipeline reads (and so empties) its own control queue.
    auto all_models = [](std::vector<std::string> roles) {
        const std::vector<std::pair<std::string, std::string>> texts = {{"primary", "answer 1"},
                                                                        {"fallback", "answer 0"},
                                                                        {"a", "answer 1\nconfidence 0.9"},
                                                                        {"b", "answer 2\nconfidence 0.8"}};
        control_queue<ModelDescriptor> models;
        for (const auto& [role, text] : texts)
            if (std::find(roles.begin(), roles.end(), role) != roles.end())
                models.push(scripted("orders", role, "1", text));
        return models;
    };
    const std::vector<order> orders = some_orders();
    std::vector<std::string> answered_by;
    auto keep = [&](const Scored<order>& r) { answered_by.push_back(r.answered_by); };

    {
        auto models = all_models({"primary", "fallback"});
        // ---- snippet: deadline ----
        serve::deadline d;                        // members "primary" and "fallback"
        d.budget = std::chrono::milliseconds(2);  // primary answers within 2 ms, or not at all
        d.executor = std::make_shared<serve::thread_pool_runner>(2);  // or your own serve::runner
        auto with_deadline = from(orders) | join(models.source(), registry, d) | serve::score() | sink(keep);
        // ---- end ----
        with_deadline.run();
    }
    REQUIRE(answered_by.size() == orders.size());
    // Real threads and a real clock here: what answered is not asserted (see deadline_test.cpp).

    {
        auto models = all_models({"a", "b"});
        // ---- snippet: ab ----
        serve::ab_split ab;
        ab.arms = {{"a", 90}, {"b", 10}};  // shares of traffic; change them later on the control stream
        ab.key_field = "customer";         // the same customer always meets the same arm
        auto ab_test = from(orders) | join(models.source(), registry, ab) | serve::score() | sink(keep);
        // ---- end ----
        ab_test.run();
    }
    REQUIRE(answered_by.back().rfind("arm ", 0) == 0);

    {
        auto models = all_models({"a", "b"});
        // ---- snippet: best ----
        serve::best_quality best;
        best.members = {"a", "b"};
        best.quality = [](const Model&, const Prediction& p) {  // optional: default is the confidence
            return p.outputs.empty() ? 0.0 : p.outputs[0].as_number();
        };
        auto most_sure = from(orders) | join(models.source(), registry, best) | serve::score() | sink(keep);
        // ---- end ----
        most_sure.run();
    }
    REQUIRE(answered_by.back() == "winner a (quality 0.9)");

    {
        auto models = all_models({"primary"});
        // ---- snippet: shadow ----
        serve::shadow sh;     // members "primary" (answers) and "candidate" (only compared)
        sh.tolerance = 0.01;  // numbers this close agree
        auto trial = from(orders) | join(models.source(), registry, sh) | serve::score() | sink(keep);
        // ---- end ----
        trial.run();
    }
    REQUIRE(answered_by.back() == "primary");
}

TEST_CASE("docs/serve.md: scripted timings", "[serve][docs]") {
    ModelRegistry registry = testing::scripted_registry();
    control_queue<ModelDescriptor> models;
    models.push(scripted("orders", "primary", "1", "answer 1"));
    models.push(scripted("orders", "fallback", "1", "answer 0"));
    const std::vector<order> orders = some_orders();
    std::vector<std::string> answered_by;

    // ---- snippet: scripted ----
    using namespace std::chrono_literals;
    // Run n takes 1 ms, except every third, which takes 5 ms: no threads, no clock.
    auto runner =
        std::make_shared<serve::scripted_runner>([](std::size_t n) { return n % 3 == 2 ? 5ms : 1ms; });
    serve::deadline d;
    d.budget = 2ms;
    d.executor = runner;
    auto p = from(orders) | join(models.source(), registry, d) | serve::score() |
             sink([&](const Scored<order>& r) { answered_by.push_back(r.answered_by); });
    p.run();  // answered_by[2] == "fallback: primary over 2ms budget", the others "primary in time"
    // ---- end ----
    REQUIRE(answered_by[1] == "primary in time");
    REQUIRE(answered_by[2] == "fallback: primary over 2ms budget");
}
