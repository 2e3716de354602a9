// AnomalyDetectionModel (PMML 4.4). No corpus case covers it: the expected scores are computed here
// by hand from the spec's definitions, with the arithmetic written out.

#include "pmml_test_util.hpp"

#include <scorestream/error.hpp>

#include <cmath>

using namespace scorestream;
using pmml_test::document;
using pmml_test::load_error;
using pmml_test::number_out;
using pmml_test::text_out;

namespace {

const std::string dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"z\" optype=\"continuous\" dataType=\"double\"/>\n";

// Two isolation trees; every leaf scores its path length. Tree 2's deepest leaf still held 3
// training points, so its score is depth 2 plus c(3) = 2 (ln 2 + 0.5772156649) - 4/3
// = 1.207392357586557, written as 3.207392357586557.
const std::string trees =
    "<Segment id=\"1\"><True/><TreeModel functionName=\"regression\">"
    "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/></MiningSchema>"
    "<Node score=\"0\"><True/>"
    "<Node score=\"1\"><SimplePredicate field=\"x\" operator=\"lessOrEqual\" value=\"0.5\"/></Node>"
    "<Node score=\"0\"><True/>"
    "<Node score=\"2\"><SimplePredicate field=\"z\" operator=\"lessOrEqual\" value=\"3\"/></Node>"
    "<Node score=\"2\"><True/></Node></Node></Node></TreeModel></Segment>"
    "<Segment id=\"2\"><True/><TreeModel functionName=\"regression\">"
    "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/></MiningSchema>"
    "<Node score=\"0\"><True/>"
    "<Node score=\"1\"><SimplePredicate field=\"z\" operator=\"greaterThan\" value=\"10\"/></Node>"
    "<Node score=\"0\"><True/>"
    "<Node score=\"3.207392357586557\"><SimplePredicate field=\"x\" operator=\"greaterThan\" "
    "value=\"-5\"/></Node>"
    "<Node score=\"2\"><True/></Node></Node></Node></TreeModel></Segment>";

std::string iforest(const std::string& attrs = "sampleDataSize=\"256\"",
                    const std::string& method = "average") {
    return "<AnomalyDetectionModel modelName=\"iso\" functionName=\"regression\" algorithmType=\"iforest\" " +
           attrs +
           ">\n<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/></MiningSchema>\n"
           "<Output><OutputField name=\"anomalyScore\" optype=\"continuous\" dataType=\"double\" "
           "feature=\"predictedValue\"/>"
           "<OutputField name=\"outlier\" optype=\"categorical\" dataType=\"boolean\" feature=\"decision\">"
           "<Decisions><Decision value=\"true\"/><Decision value=\"false\"/></Decisions>"
           "<Apply function=\"greaterThan\"><FieldRef field=\"anomalyScore\"/><Constant>0.87</Constant>"
           "</Apply></OutputField></Output>\n"
           "<MiningModel functionName=\"regression\">"
           "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/></MiningSchema>"
           "<Segmentation multipleModelMethod=\"" +
           method + "\">" + trees + "</Segmentation></MiningModel>\n</AnomalyDetectionModel>\n";
}

// c(256) = 2 (ln 255 + 0.5772156649) - 2 * 255 / 256
//        = 2 (5.541263545158426 + 0.5772156649) - 1.9921875 = 10.244770920116851
constexpr double c256 = 10.244770920116851;

}  // namespace

TEST_CASE("AnomalyDetectionModel iforest: 2^(-E(h(x)) / c(sampleDataSize))", "[pmml]") {
    auto m = pmml::load(document(dict, iforest(), "4.4"));
    CHECK(m->describe().model_kind == "AnomalyDetectionModel");
    CHECK(m->describe().details == "iforest, sampleDataSize 256");
    CHECK(m->describe().nested_models == 3);  // the MiningModel and its two trees

    // x = 0, z = 0: tree 1 leaf "x <= 0.5" (1), tree 2 leaf "x > -5" (3.207392357586557).
    // E = (1 + 3.207392357586557) / 2 = 2.1036961787932785; s = 2^(-E / c256) = 0.8673322092819445.
    auto p = pmml_test::score(*m, {{"x", 0.0}, {"z", 0.0}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == Approx(0.8673322092819445).epsilon(1e-14));
    CHECK(number_out(*m, p, "anomalyScore") == Approx(std::pow(2.0, -(1 + 3.207392357586557) / 2 / c256)));
    CHECK(text_out(*m, p, "outlier") == "false");  // 0.8673 <= 0.87

    // x = 1, z = 11: tree 1 "z <= 3" fails -> 2; tree 2 "z > 10" -> 1. E = 1.5;
    // s = 2^(-1.5 / 10.244770920116851) = 2^(-0.14641615822317391) = 0.9034920688308606
    p = pmml_test::score(*m, {{"x", 1.0}, {"z", 11.0}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == Approx(std::pow(2.0, -1.5 / c256)).epsilon(1e-14));
    CHECK(p.value.as_number() == Approx(0.9034920688308606).epsilon(1e-14));
    CHECK(text_out(*m, p, "outlier") == "true");

    // x missing: under missingValueStrategy "none" (the default) an unknown predicate counts as
    // false, so tree 1 reaches "z <= 3" (2) and tree 2 its last leaf (2): E = 2,
    // s = 2^(-2 / c256) = 0.8734387579117953.
    p = pmml_test::score(*m, {{"z", 0.0}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == Approx(0.8734387579117953).epsilon(1e-14));
}

TEST_CASE("AnomalyDetectionModel iforest: c(n) for small samples", "[pmml]") {
    // c(2) = 1 by the paper's definition: E = 1.5 at x = 1, z = 11 gives 2^-1.5.
    auto m = pmml::load(document(dict, iforest("sampleDataSize=\"2\""), "4.4"));
    auto p = pmml_test::score(*m, {{"x", 1.0}, {"z", 11.0}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == Approx(std::pow(2.0, -1.5)).epsilon(1e-15));
    // c(3) = 1.207392357586557: 2^(-1.5 / 1.207392357586557) = 0.42268453282900614
    m = pmml::load(document(dict, iforest("sampleDataSize=\"3\""), "4.4"));
    p = pmml_test::score(*m, {{"x", 1.0}, {"z", 11.0}});
    CHECK(p.value.as_number() == Approx(std::pow(2.0, -1.5 / 1.207392357586557)).epsilon(1e-14));
}

TEST_CASE("AnomalyDetectionModel ocsvm and other: the inner model's value is the score", "[pmml]") {
    const std::string body =
        "<AnomalyDetectionModel functionName=\"regression\" algorithmType=\"other\">"
        "<MiningSchema><MiningField name=\"x\"/></MiningSchema>"
        "<Output><OutputField name=\"s\" feature=\"predictedValue\"/>"
        "<OutputField name=\"anomaly\" dataType=\"boolean\" feature=\"decision\">"
        "<Apply function=\"lessThan\"><FieldRef field=\"s\"/><Constant>0</Constant></Apply></OutputField>"
        "</Output>"
        "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/></MiningSchema>"
        "<RegressionTable intercept=\"-1\"><NumericPredictor name=\"x\" coefficient=\"0.5\"/>"
        "</RegressionTable></RegressionModel></AnomalyDetectionModel>";
    auto m = pmml::load(document(dict, body, "4.4"));
    auto p = pmml_test::score(*m, {{"x", 1.0}});  // -1 + 0.5 * 1 = -0.5
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == -0.5);
    CHECK(text_out(*m, p, "anomaly") == "true");
    p = pmml_test::score(*m, {{"x", 4.0}});  // -1 + 0.5 * 4 = 1
    CHECK(p.value.as_number() == 1.0);
    CHECK(text_out(*m, p, "anomaly") == "false");
}

TEST_CASE("AnomalyDetectionModel: refused and malformed documents", "[pmml]") {
    auto with = [](const std::string& from, const std::string& to) {
        std::string s = document(dict, iforest(), "4.4");
        auto at = s.find(from);
        REQUIRE(at != std::string::npos);
        return s.replace(at, from.size(), to);
    };
    auto msg =
        load_error<unsupported_error>(with("algorithmType=\"iforest\"", "algorithmType=\"clusterMeanDist\""));
    CHECK_THAT(msg,
               Catch::Contains("<AnomalyDetectionModel> at line 8") && Catch::Contains("clusterMeanDist"));
    msg = load_error<invalid_value_error>(with("algorithmType=\"iforest\"", "algorithmType=\"lof\""));
    CHECK_THAT(msg, Catch::Contains("<AnomalyDetectionModel> at line 8") && Catch::Contains("lof"));
    msg = load_error<parse_error>(with("sampleDataSize=\"256\"", ""));
    CHECK_THAT(msg, Catch::Contains("line 8") && Catch::Contains("sampleDataSize"));
    msg = load_error<invalid_value_error>(with("sampleDataSize=\"256\"", "sampleDataSize=\"1\""));
    CHECK_THAT(msg, Catch::Contains("line 8") && Catch::Contains("at least 2"));
    msg = load_error<invalid_value_error>(with("sampleDataSize=\"256\"", "sampleDataSize=\"many\""));
    CHECK_THAT(msg, Catch::Contains("line 8") && Catch::Contains("sampleDataSize"));
    msg = load_error<parse_error>(
        document(dict,
                 "<AnomalyDetectionModel functionName=\"regression\" algorithmType=\"other\">\n"
                 "<MiningSchema><MiningField name=\"x\"/></MiningSchema>\n</AnomalyDetectionModel>\n",
                 "4.4"));
    CHECK_THAT(msg, Catch::Contains("<AnomalyDetectionModel> at line 8") && Catch::Contains("inner model"));
    msg = load_error<unsupported_error>(
        with("functionName=\"regression\" algorithmType", "functionName=\"classification\" algorithmType"));
    CHECK_THAT(msg, Catch::Contains("line 8") && Catch::Contains("classification"));
}
