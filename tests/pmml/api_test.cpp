// The public API: PmmlFactory through a ModelRegistry, checkpoint round trip, describe(),
// ModelVerification, many threads on one shared model.

#include "pmml_test_util.hpp"

#include <scorestream/model/factory.hpp>
#include <scorestream/pmml/factory.hpp>

#include <atomic>
#include <thread>

using namespace scorestream;
using pmml_test::document;

namespace {

const std::string dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"yes\" "
    "displayValue=\"Yes!\"/><Value value=\"no\"/></DataField>\n";

const std::string model_body =
    "<TreeModel modelName=\"t\" functionName=\"classification\"><MiningSchema><MiningField name=\"x\"/>"
    "<MiningField name=\"c\" usageType=\"predicted\"/></MiningSchema>"
    "<Output><OutputField name=\"label\" feature=\"predictedDisplayValue\"/>"
    "<OutputField name=\"P_yes\" feature=\"probability\" value=\"yes\" dataType=\"double\"/></Output>"
    "<ModelVerification recordCount=\"2\"><VerificationFields><VerificationField field=\"x\"/>"
    "<VerificationField field=\"P_yes\" column=\"p\" precision=\"1e-9\"/></VerificationFields>"
    "<InlineTable><row><x>1</x><p>0.75</p></row><row><x>9</x><p>0.125</p></row></InlineTable></"
    "ModelVerification>"
    "<Node score=\"no\"><True/>"
    "<Node score=\"yes\"><SimplePredicate field=\"x\" operator=\"lessThan\" value=\"5\"/>"
    "<ScoreDistribution value=\"yes\" recordCount=\"3\"/><ScoreDistribution value=\"no\" "
    "recordCount=\"1\"/></Node>"
    "<Node score=\"no\"><True/><ScoreDistribution value=\"yes\" recordCount=\"1\"/><ScoreDistribution "
    "value=\"no\" recordCount=\"7\"/></Node>"
    "</Node></TreeModel>\n";

}  // namespace

TEST_CASE("PmmlFactory builds models from descriptors through the registry", "[pmml]") {
    ModelRegistry registry;
    pmml::register_pmml(registry);
    REQUIRE(registry.find("pmml") != nullptr);
    ModelDescriptor d;
    d.set_name("tree");
    d.set_version("3");
    d.set_data_type("records");
    d.set_model_type(proto::PMML);
    d.set_data(document(dict, model_body));
    ModelPtr m = registry.build(d);
    CHECK(m->type() == "pmml");
    CHECK(m->name() == "tree");
    CHECK(m->version() == "3");
    std::vector<Value> row = {Value::number(1)};
    Prediction p;
    m->score(FeatureRow(row.data(), row.size()), p);
    REQUIRE(p.ok());
    CHECK(to_string(p.value) == "yes");
    CHECK(to_string(p.outputs[0]) == "Yes!");
    CHECK(p.outputs[1].as_number() == 0.75);

    // checkpoint round trip
    auto restored = registry.find("pmml")->restore(m->to_bytes(), m->identity());
    CHECK(restored->version() == "3");
    Prediction q;
    restored->score(FeatureRow(row.data(), row.size()), q);
    CHECK(q.value == p.value);

    // a bad document is a typed error naming the descriptor
    d.set_data("<PMML version=\"4.3\"><oops>");
    CHECK_THROWS_AS(registry.build(d), model_error);
}

TEST_CASE("describe reports kind, inputs, target and outputs", "[pmml]") {
    auto m = pmml::load(document(dict, model_body));
    const auto& d = m->describe();
    CHECK(d.model_kind == "TreeModel");
    CHECK(d.model_name == "t");
    CHECK(d.function == "classification");
    REQUIRE(d.inputs.size() == 1);
    CHECK(d.inputs[0].name == "x");
    CHECK(d.inputs[0].data_type == "double");
    CHECK(d.target == "c");
    CHECK(d.target_categories == std::vector<std::string>{"yes", "no"});
    REQUIRE(d.outputs.size() == 2);
    CHECK(d.outputs[1].feature == "probability");
    CHECK(d.has_verification);
    CHECK(d.compiled_bytes > 0);
}

TEST_CASE("describe: built once, on the first call from any thread, while others score", "[pmml]") {
    auto m = pmml::load(document(dict, model_body));
    std::atomic<int> wrong{0};
    std::vector<const pmml::Description*> seen(4, nullptr);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            Prediction p;
            Value v = Value::number(t);
            m->score(FeatureRow(&v, 1), p);
            if (!p.ok() || to_string(p.value) != "yes") ++wrong;
            seen[static_cast<std::size_t>(t)] = &m->describe();
        });
    for (auto& th : threads) th.join();
    CHECK(wrong == 0);
    for (const auto* d : seen) CHECK(d == &m->describe());
    const auto& d = m->describe();
    CHECK(d.inputs.size() == 1);
    CHECK(d.plan.rfind("direct (tree)", 0) == 0);
}

TEST_CASE("ModelVerification runs and reports", "[pmml]") {
    auto m = pmml::load(document(dict, model_body));
    auto rep = m->verify();
    CHECK(rep.present);
    CHECK(rep.records == 2);
    CHECK(rep.ok());
    auto bad = model_body;
    bad.replace(bad.find("0.125"), 5, "0.5");
    rep = pmml::load(document(dict, bad))->verify();
    CHECK_FALSE(rep.ok());
    CHECK(rep.passed == 1);
    REQUIRE(rep.failures.size() == 1);
    CHECK_THAT(rep.failures[0], Catch::Contains("P_yes"));
}

TEST_CASE("ModelVerification: a recordCount that is no number of rows fails verification", "[pmml]") {
    // 1e300 used to be converted to std::size_t as is (undefined behaviour; found by the fuzzer).
    for (const char* count : {"1e300", "2.5", "1e16"}) {
        auto body = model_body;
        body.replace(body.find("recordCount=\"2\""), 15, std::string("recordCount=\"") + count + "\"");
        auto rep = pmml::load(document(dict, body))->verify();
        CHECK(rep.present);
        CHECK(rep.records == 2);
        CHECK(rep.passed == 2);
        CHECK_FALSE(rep.ok());
        REQUIRE(rep.failures.size() == 1);
        CHECK_THAT(rep.failures[0], Catch::Contains(count) && Catch::Contains("not a number of records"));
    }
}

TEST_CASE("a short row is an error result, not an exception", "[pmml]") {
    auto m = pmml::load(document(dict, model_body));
    Prediction p;
    m->score(FeatureRow(), p);
    CHECK_FALSE(p.ok());
    CHECK_THAT(p.error, Catch::Contains("the model reads 1"));
    // After a record that scored, a short row leaves nothing of it behind.
    Value x[] = {Value::number(1)};
    m->score(FeatureRow(x, 1), p);
    REQUIRE(p.ok());
    REQUIRE(p.outputs.size() == 2);
    REQUIRE_FALSE(p.outputs[1].is_missing());
    m->score(FeatureRow(), p);
    CHECK_FALSE(p.ok());
    CHECK(p.value.is_missing());
    REQUIRE(p.outputs.size() == 2);
    CHECK(p.outputs[0].is_missing());
    CHECK(p.outputs[1].is_missing());
}

TEST_CASE("one shared model scores on many threads", "[pmml]") {
    auto m = pmml::load(document(dict, model_body));
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&, t] {
            Prediction p;
            for (int i = 0; i < 20000; ++i) {
                double x = (i + t) % 10;
                Value v = Value::number(x);
                m->score(FeatureRow(&v, 1), p);
                bool yes = x < 5;
                if (!p.ok() || to_string(p.value) != (yes ? "yes" : "no") ||
                    p.outputs[1].as_number() != (yes ? 0.75 : 0.125))
                    ++wrong;
            }
        });
    for (auto& th : threads) th.join();
    CHECK(wrong == 0);
}
