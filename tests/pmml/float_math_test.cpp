// JPMML's x-mathContext="float" extension: a model carrying it does its arithmetic in float32. The
// expected values are computed here, independently of the evaluator, with the float operations
// written out; the double results are computed too, to show that the documents tell them apart.

#include "pmml_test_util.hpp"

#include <scorestream/error.hpp>

#include <cmath>

using namespace scorestream;
using pmml_test::document;
using pmml_test::number_out;

namespace {

const std::string dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"label\" optype=\"categorical\" dataType=\"string\">"
    "<Value value=\"1\"/><Value value=\"0\"/></DataField>\n"
    "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";

/// The shape XGBoost converters emit for a binary classifier: a float sum of regression trees (with
/// the base score as a Target rescaleConstant) chained into a float logistic RegressionModel.
std::string booster(const std::string& math) {
    auto tree = [&](const char* threshold, const char* left, const char* right) {
        return std::string("<Segment><True/><TreeModel functionName=\"regression\"") + math +
               "><MiningSchema><MiningField name=\"x\"/></MiningSchema><Node><True/>"
               "<Node score=\"" +
               left + "\"><SimplePredicate field=\"x\" operator=\"lessThan\" value=\"" + threshold +
               "\"/></Node><Node score=\"" + right +
               "\"><SimplePredicate field=\"x\" operator=\"greaterOrEqual\" value=\"" + threshold +
               "\"/></Node></Node></TreeModel></Segment>";
    };
    return "<MiningModel functionName=\"classification\"><MiningSchema><MiningField name=\"x\"/>"
           "<MiningField name=\"label\" usageType=\"predicted\"/></MiningSchema>"
           "<Output><OutputField name=\"P1\" feature=\"probability\" value=\"1\"/>"
           "<OutputField name=\"P0\" feature=\"probability\" value=\"0\"/></Output>"
           "<Segmentation multipleModelMethod=\"modelChain\">"
           "<Segment id=\"1\"><True/><MiningModel functionName=\"regression\"" +
           math +
           "><MiningSchema><MiningField name=\"x\"/></MiningSchema>"
           "<Output><OutputField name=\"margin\" feature=\"predictedValue\" isFinalResult=\"false\"/>"
           "</Output><Targets><Target rescaleConstant=\"0.3\"/></Targets>"
           "<Segmentation multipleModelMethod=\"sum\">" +
           tree("0.5", "0.1", "-0.7") + tree("1.5", "0.2", "0.45") +
           "</Segmentation></MiningModel></Segment>"
           "<Segment id=\"2\"><True/><RegressionModel functionName=\"classification\" "
           "normalizationMethod=\"logit\"" +
           math +
           "><MiningSchema><MiningField name=\"margin\"/><MiningField name=\"label\" "
           "usageType=\"predicted\"/></MiningSchema>"
           "<RegressionTable intercept=\"0\" targetCategory=\"1\"><NumericPredictor name=\"margin\" "
           "coefficient=\"1\"/></RegressionTable><RegressionTable intercept=\"0\" targetCategory=\"0\"/>"
           "</RegressionModel></Segment></Segmentation></MiningModel>\n";
}

}  // namespace

TEST_CASE("x-mathContext=float: tree sums, target rescaling and the logistic link in float32", "[pmml]") {
    auto f = pmml::load(document(dict, booster(" x-mathContext=\"float\"")));
    auto d = pmml::load(document(dict, booster("")));
    struct Case {
        double x;
        float first, second;  // the leaves this x reaches, as float constants
        double first_d, second_d;
    };
    for (const Case& c : {Case{0.2, 0.1f, 0.2f, 0.1, 0.2}, Case{1.0, -0.7f, 0.2f, -0.7, 0.2},
                          Case{2.0, -0.7f, 0.45f, -0.7, 0.45}}) {
        INFO("x = " << c.x);
        // float: leaf + leaf, then * 1 + 0.3 (rescaleConstant), then 1 / (1 + exp(-margin)) with
        // exp evaluated in double on the float argument and rounded to float
        float margin = (c.first + c.second) * 1.0f + 0.3f;
        float p1 = 1.0f / (1.0f + static_cast<float>(std::exp(static_cast<double>(-margin))));
        float p0 = 1.0f - p1;
        auto pf = pmml_test::score(*f, {{"x", c.x}});
        REQUIRE(pf.ok());
        CHECK(number_out(*f, pf, "P1") == static_cast<double>(p1));
        CHECK(number_out(*f, pf, "P0") == static_cast<double>(p0));

        // double: the same operations in double precision
        double margin_d = (c.first_d + c.second_d) * 1.0 + 0.3;
        double p1_d = 1.0 / (1.0 + std::exp(-margin_d));
        auto pd = pmml_test::score(*d, {{"x", c.x}});
        REQUIRE(pd.ok());
        CHECK(number_out(*d, pd, "P1") == p1_d);
        CHECK(number_out(*d, pd, "P1") != number_out(*f, pf, "P1"));
    }
}

TEST_CASE("x-mathContext=float: a regression table and an average of trees in float32", "[pmml]") {
    const std::string schema =
        "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"y\" "
        "usageType=\"predicted\"/></MiningSchema>";
    auto m = pmml::load(
        document(dict, "<RegressionModel functionName=\"regression\" x-mathContext=\"float\">" + schema +
                           "<RegressionTable intercept=\"0.1\"><NumericPredictor name=\"x\" "
                           "coefficient=\"0.7\"/><NumericPredictor name=\"x\" exponent=\"2\" "
                           "coefficient=\"0.01\"/></RegressionTable></RegressionModel>\n"));
    double x = 1.1;
    float xf = static_cast<float>(x);
    float expect = 0.1f + 0.7f * xf;
    // x^2 evaluated in double on the float x, rounded to float
    expect = expect + 0.01f * static_cast<float>(std::pow(static_cast<double>(xf), 2.0));
    auto p = pmml_test::score(*m, {{"x", x}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == static_cast<double>(expect));
    CHECK(p.value.as_number() != 0.1 + 0.7 * x + 0.01 * std::pow(x, 2.0));

    auto leaf = [&](const char* score) {
        return std::string(
                   "<Segment><True/><TreeModel functionName=\"regression\" x-mathContext=\"float\">") +
               schema + "<Node score=\"" + score + "\"><True/></Node></TreeModel></Segment>";
    };
    auto avg = pmml::load(document(dict, "<MiningModel functionName=\"regression\" x-mathContext=\"float\">" +
                                             schema + "<Segmentation multipleModelMethod=\"average\">" +
                                             leaf("0.1") + leaf("0.2") + leaf("0.4") +
                                             "</Segmentation></MiningModel>\n"));
    float mean = (0.1f + 0.2f + 0.4f) / 3.0f;
    auto q = pmml_test::score(*avg, {{"x", 0.0}});
    REQUIRE(q.ok());
    CHECK(q.value.as_number() == static_cast<double>(mean));
    CHECK(q.value.as_number() != (0.1 + 0.2 + 0.4) / 3.0);
}

TEST_CASE("x-mathContext: an unknown value is refused with the element and line", "[pmml]") {
    std::string text = document(dict,
                                "<RegressionModel functionName=\"regression\" x-mathContext=\"half\">"
                                "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"y\" "
                                "usageType=\"predicted\"/></MiningSchema><RegressionTable intercept=\"1\"/>"
                                "</RegressionModel>\n");
    try {
        pmml::load(text);
        FAIL("no exception");
    } catch (const std::exception& e) {
        std::string what = e.what();
        CHECK(what.find("x-mathContext") != std::string::npos);
        CHECK(what.find("RegressionModel") != std::string::npos);
        CHECK(what.find("line 9") != std::string::npos);
    }
}
