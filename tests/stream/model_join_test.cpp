#include <catch2/catch.hpp>
#include <scorestream/scorestream.hpp>
#include <support/linear_model.hpp>

#include "records.hpp"

#include <string>
#include <vector>

using namespace scorestream;
using scorestream::testing::linear_descriptor;
using scorestream::testing::linear_factory;
using scorestream::testing::rec;

namespace {
ModelRegistry linear_registry() {
    ModelRegistry reg;
    reg.add(std::make_shared<linear_factory>());
    return reg;
}

// Model version v scores bias v: the score says which version answered.
ModelDescriptor version(int v, std::string type = "t") {
    return linear_descriptor(std::move(type), "m", std::to_string(v),
                             "bias " + std::to_string(v) + "\nw x 0\n");
}

struct result {
    int id;
    score_status status;
    std::string model;
    std::string version;
    double score;
    std::string reason;
};

template <class P>
void drain(P& p) {
    while (!p.poll(1000).done) {
    }
}

auto collect(std::vector<result>& out) {
    return sink([&out](const Scored<rec>& s) {
        out.push_back({s.record.id, s.status, s.model_name(), s.model_version(),
                       s.ok() ? s.prediction.value.as_number() : -1.0, s.reason});
    });
}
}  // namespace

TEST_CASE("records are scored by the current model and every result names it", "[stream][score]") {
    auto reg = linear_registry();
    script<rec, ModelDescriptor> s;
    s.data({1, "t", 1, 0})
        .control(linear_descriptor("t", "lin", "v1", "bias 0\nw x 2\n"))
        .data({2, "t", 3, 0})
        .data({3, "t", 4, 0})
        .control(linear_descriptor("t", "lin", "v2", "bias 100\nw x 1\nw y 1\n"))
        .data({4, "t", 5, 6});
    std::vector<result> out;
    auto p = s.data_source() | join(s.control_source(), reg) | score() | collect(out);
    drain(p);
    REQUIRE(out.size() == 4);
    REQUIRE(out[0].status == score_status::no_model);
    REQUIRE(out[0].reason == "no model for data type 't'");
    REQUIRE(out[0].model.empty());
    REQUIRE((out[1].status == score_status::scored && out[1].version == "v1" && out[1].score == 6));
    REQUIRE((out[2].version == "v1" && out[2].score == 8));
    REQUIRE((out[3].model == "lin" && out[3].version == "v2" && out[3].score == 111));

    const auto* st = p.stats().find("t");
    REQUIRE(st != nullptr);
    REQUIRE(st->unscored == 1);
    REQUIRE(st->accepted_updates == 2);
    REQUIRE(st->models.size() == 2);
    REQUIRE(st->models[0].usage == 2);
    REQUIRE(st->models[0].until_ms > 0);
    REQUIRE(st->current()->version == "v2");
    REQUIRE(st->current()->usage == 1);
    REQUIRE(st->current()->timed == 1);
}

TEST_CASE("a model update before every record: each record is scored by exactly one whole version",
          "[stream][score][swap]") {
    auto reg = linear_registry();
    script<rec, ModelDescriptor> s;
    const int n = 500;
    for (int i = 0; i < n; ++i) {
        s.control(version(i));
        s.data({i, "t", double(i), 0});
    }
    std::vector<result> out;
    auto p = s.data_source() | join(s.control_source(), reg) | score() | collect(out);
    drain(p);
    REQUIRE(out.size() == std::size_t(n));
    for (int i = 0; i < n; ++i) {
        INFO("record " << i);
        REQUIRE(out[i].status == score_status::scored);
        REQUIRE(out[i].version == std::to_string(i));
        REQUIRE(out[i].score == double(i));  // the score comes from the version named
    }
    REQUIRE(p.stats().find("t")->accepted_updates == std::uint64_t(n));
}

TEST_CASE("a bad update is rejected with its reason and the old model keeps serving", "[stream][score]") {
    auto reg = linear_registry();
    script<rec, ModelDescriptor> s;
    auto unknown = version(2);
    unknown.set_custom_type("mystery");
    s.control(version(1))
        .data({1})
        .control(linear_descriptor("t", "m", "broken", "bias oops\n"))
        .data({2})
        .control(unknown)
        .data({3})
        .control(version(4))
        .data({4});
    std::vector<result> out;
    std::vector<std::string> errors;
    auto p = s.data_source() | join(s.control_source(), reg) | score() | collect(out);
    p.on_error([&](error_kind k, const record_error& e) {
        REQUIRE(k == error_kind::rejected_update);
        errors.push_back(e.message);
    });
    drain(p);
    REQUIRE(out.size() == 4);
    REQUIRE(out[0].version == "1");
    REQUIRE(out[1].version == "1");
    REQUIRE(out[2].version == "1");
    REQUIRE(out[3].version == "4");
    REQUIRE(errors.size() == 2);
    REQUIRE_THAT(errors[0], Catch::Contains("version 'broken'") && Catch::Contains("bias needs a number"));
    REQUIRE_THAT(errors[1], Catch::Contains("no factory registered for model type 'mystery'"));
    const auto* st = p.stats().find("t");
    REQUIRE(st->rejected_updates == 2);
    REQUIRE(st->accepted_updates == 2);
    REQUIRE_THAT(st->last_error, Catch::Contains("mystery"));
    REQUIRE(p.counters().rejected_updates == 2);
}

TEST_CASE("data types are routed to their own models", "[stream][score]") {
    auto reg = linear_registry();
    script<rec, ModelDescriptor> s;
    s.control(version(1, "red"))
        .control(version(2, "white"))
        .data({1, "red"})
        .data({2, "white"})
        .data({3, "rose"});
    std::vector<result> out;
    auto p = s.data_source() | join(s.control_source(), reg) | score() | collect(out);
    drain(p);
    REQUIRE(out[0].version == "1");
    REQUIRE(out[1].version == "2");
    REQUIRE(out[2].status == score_status::no_model);
    REQUIRE(out[2].reason == "no model for data type 'rose'");
}

TEST_CASE("alternating data types of equal length are never confused", "[stream][score]") {
    // The pipeline reuses one record object, so equal-length keys can sit at the same address:
    // routing must compare key contents.
    auto reg = linear_registry();
    script<rec, ModelDescriptor> s;
    s.control(version(1, "white")).control(version(2, "rouge"));
    for (int i = 0; i < 10; ++i) s.data({i, i % 2 ? "rouge" : "white"});
    std::vector<result> out;
    auto p = s.data_source() | join(s.control_source(), reg) | score() | collect(out);
    drain(p);
    REQUIRE(out.size() == 10);
    for (int i = 0; i < 10; ++i) REQUIRE(out[i].version == (i % 2 ? "2" : "1"));
}

TEST_CASE("model join policies: drop counts per data type, hold waits for the model", "[stream][score]") {
    auto reg = linear_registry();
    SECTION("drop") {
        script<rec, ModelDescriptor> s;
        s.data({1}).data({2}).control(version(1)).data({3});
        model_join_options o;
        o.policy = before_state::drop;
        std::vector<result> out;
        auto p = s.data_source() | join(s.control_source(), reg, o) | score() | collect(out);
        drain(p);
        REQUIRE(out.size() == 1);
        REQUIRE(p.stats().find("t")->dropped == 2);
        REQUIRE(p.counters().dropped == 2);
    }
    SECTION("hold") {
        script<rec, ModelDescriptor> s;
        s.data({1}).data({2}).control(version(1)).data({3});
        model_join_options o;
        o.policy = before_state::hold;
        std::vector<result> out;
        auto p = s.data_source() | join(s.control_source(), reg, o) | score() | collect(out);
        drain(p);
        REQUIRE(out.size() == 3);
        for (int i = 0; i < 3; ++i) {
            REQUIRE(out[i].id == i + 1);
            REQUIRE(out[i].version == "1");
        }
    }
    SECTION("hold until the end") {
        script<rec, ModelDescriptor> s;
        s.data({1}).data({2});
        model_join_options o;
        o.policy = before_state::hold;
        std::vector<result> out;
        auto p = s.data_source() | join(s.control_source(), reg, o) | score() | collect(out);
        drain(p);
        REQUIRE(out.size() == 2);
        REQUIRE(out[0].reason == "no model for data type 't' (stream ended before state arrived)");
    }
}

TEST_CASE("a model that fails or throws gives failed results and serving goes on", "[stream][score]") {
    auto reg = linear_registry();
    script<rec, ModelDescriptor> s;
    s.control(linear_descriptor("t", "m", "1", "w x 1\nthrow\n"))
        .data({1})
        .control(linear_descriptor("t", "m", "2", "w x 1\nw nothere 1\n"))
        .data({2})
        .control(version(3))
        .data({3, "t", 0, 0});
    std::vector<result> out;
    auto p = s.data_source() | join(s.control_source(), reg) | score() | collect(out);
    drain(p);
    REQUIRE(out.size() == 3);
    REQUIRE(out[0].status == score_status::failed);
    REQUIRE(out[0].reason == "model threw: linear model asked to throw");
    REQUIRE(out[1].status == score_status::failed);
    REQUIRE(out[1].reason == "input 'nothere' is not a number");
    REQUIRE(out[2].status == score_status::scored);
    const auto& models = p.stats().find("t")->models;
    REQUIRE(models[0].failures == 1);
    REQUIRE(models[1].failures == 1);
    REQUIRE(models[2].failures == 0);
}

TEST_CASE("a record layout lacking a model input is noted once in the stats", "[stream][score]") {
    auto reg = linear_registry();
    script<rec, ModelDescriptor> s;
    s.control(linear_descriptor("t", "m", "1", "w x 1\nw humidity 2\n")).data({1});
    std::vector<result> out;
    auto p = s.data_source() | join(s.control_source(), reg) | score() | collect(out);
    drain(p);
    const auto* st = p.stats().find("t");
    REQUIRE(st->current()->absent_inputs == std::vector<std::string>{"humidity"});
    // The record itself then fails in the model (a missing input), and says so.
    REQUIRE(out[0].status == score_status::failed);
    REQUIRE(st->last_error == "input 'humidity' is not a number");

    // A layout with every input binds cleanly (no note), once per layout.
    script<rec, ModelDescriptor> s2;
    s2.control(version(1)).data({1}).data({2});
    std::vector<result> out2;
    auto p2 = s2.data_source() | join(s2.control_source(), reg) | score() | collect(out2);
    p2.on_error([](error_kind, const record_error& e) { FAIL(e.to_string()); });
    drain(p2);
    REQUIRE(p2.stats().find("t")->current()->absent_inputs.empty());
    REQUIRE(p2.stats().find("t")->last_error.empty());
}

TEST_CASE("a fixed data type serves records whose type has no data_type()", "[stream][score]") {
    auto reg = linear_registry();
    script<int, ModelDescriptor> s;
    // ints have no record_traits at all; map them into recs first.
    s.control(version(5)).data(1).data(2);
    model_join_options o;
    o.data_type = "t";
    std::vector<result> out;
    auto p = s.data_source() | map([](int i) {
                 return rec{i, "ignored", 0, 0};
             }) |
             join(s.control_source(), reg, o) | score() | collect(out);
    drain(p);
    REQUIRE(out.size() == 2);
    REQUIRE(out[1].version == "5");
}

TEST_CASE("score timing can be sampled or switched off; usage stays exact", "[stream][score]") {
    auto reg = linear_registry();
    script<rec, ModelDescriptor> s;
    s.control(version(1));
    for (int i = 0; i < 10; ++i) s.data({i});
    std::vector<result> out;
    score_options so;
    so.time_every = 4;
    auto p = s.data_source() | join(s.control_source(), reg) | score(so) | collect(out);
    drain(p);
    const auto& m = *p.stats().find("t")->current();
    REQUIRE(m.usage == 10);
    REQUIRE(m.timed == 2);
}

TEST_CASE("a model join serves at most max_keys data types; others are refused and reported",
          "[stream][score]") {
    auto reg = linear_registry();
    script<rec, ModelDescriptor> s;
    s.control(version(1, "t"))
        .control(version(2, "u"))  // a second data type beyond max_keys = 1: refused
        .data({1, "u", 0, 0})
        .control(version(3, "t"))  // the data type already served: replaced as usual
        .data({2, "t", 0, 0});
    model_join_options o;
    o.max_keys = 1;
    std::vector<result> out;
    std::vector<std::string> errors;
    auto p = s.data_source() | join(s.control_source(), reg, o) | score() | collect(out);
    p.on_error([&](error_kind k, const record_error& e) {
        REQUIRE(k == error_kind::rejected_update);
        errors.push_back(e.to_string());
    });
    drain(p);
    REQUIRE(out.size() == 2);
    REQUIRE(out[0].status == score_status::no_model);
    REQUIRE(out[0].reason == "no model for data type 'u'");
    REQUIRE(out[1].status == score_status::scored);
    REQUIRE(out[1].version == "3");
    REQUIRE(errors.size() == 1);
    REQUIRE_THAT(errors[0], Catch::Contains("key 'u'") && Catch::Contains("max_keys (1)"));
    REQUIRE(p.counters().rejected_updates == 1);
}
