// Model families on small hand-written documents: tree strategies, regression normalizations,
// segmentation methods and model chains, general regression, neural networks.

#include "pmml_test_util.hpp"

#include <cmath>

using namespace scorestream;
using pmml_test::document;
using pmml_test::number_out;
using pmml_test::text_out;

namespace {

const std::string dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"z\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"yes\"/><Value "
    "value=\"no\"/></DataField>\n"
    "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";

const std::string schema_c =
    "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/><MiningField name=\"c\" "
    "usageType=\"predicted\"/></MiningSchema>";
const std::string schema_y =
    "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/><MiningField name=\"y\" "
    "usageType=\"predicted\"/></MiningSchema>";

std::string tree(const std::string& attrs) {
    return "<TreeModel functionName=\"classification\" " + attrs + ">" + schema_c +
           "<Output><OutputField name=\"P_yes\" feature=\"probability\" value=\"yes\"/>"
           "<OutputField name=\"node\" feature=\"entityId\"/></Output>"
           "<Node id=\"root\" score=\"no\" recordCount=\"10\"><True/>"
           "<ScoreDistribution value=\"yes\" recordCount=\"4\"/><ScoreDistribution value=\"no\" "
           "recordCount=\"6\"/>"
           "<Node id=\"left\" score=\"yes\" recordCount=\"4\"><SimplePredicate field=\"x\" "
           "operator=\"lessThan\" value=\"5\"/>"
           "<ScoreDistribution value=\"yes\" recordCount=\"3\"/><ScoreDistribution value=\"no\" "
           "recordCount=\"1\"/>"
           "<Node id=\"leftleft\" score=\"yes\"><SimplePredicate field=\"z\" operator=\"lessThan\" "
           "value=\"0\"/>"
           "<ScoreDistribution value=\"yes\" recordCount=\"2\"/><ScoreDistribution value=\"no\" "
           "recordCount=\"0\"/></Node>"
           "<Node id=\"leftright\" score=\"no\"><SimplePredicate field=\"z\" operator=\"greaterOrEqual\" "
           "value=\"0\"/>"
           "<ScoreDistribution value=\"yes\" recordCount=\"1\"/><ScoreDistribution value=\"no\" "
           "recordCount=\"1\"/></Node>"
           "</Node>"
           "<Node id=\"right\" score=\"no\" recordCount=\"6\"><SimplePredicate field=\"x\" "
           "operator=\"greaterOrEqual\" value=\"5\"/>"
           "<ScoreDistribution value=\"yes\" recordCount=\"1\"/><ScoreDistribution value=\"no\" "
           "recordCount=\"5\"/></Node>"
           "</Node></TreeModel>\n";
}

}  // namespace

TEST_CASE("TreeModel: scores, probabilities and node ids", "[pmml]") {
    auto m = pmml::load(document(dict, tree("")));
    auto p = pmml_test::score(*m, {{"x", 1.0}, {"z", -1.0}});
    REQUIRE(p.ok());
    CHECK(to_string(p.value) == "yes");
    CHECK(number_out(*m, p, "P_yes") == 1.0);
    CHECK(text_out(*m, p, "node") == "leftleft");
    p = pmml_test::score(*m, {{"x", 7.0}, {"z", -1.0}});
    CHECK(to_string(p.value) == "no");
    CHECK(number_out(*m, p, "P_yes") == Approx(1.0 / 6));
}

TEST_CASE("TreeModel: missingValueStrategy", "[pmml]") {
    SECTION("none: unknown counts as false, then noTrueChildStrategy") {
        auto m = pmml::load(document(dict, tree("")));
        auto p = pmml_test::score(*m, {{"x", 1.0}});
        CHECK(p.value.is_missing());  // returnNullPrediction
        m = pmml::load(document(dict, tree("noTrueChildStrategy=\"returnLastPrediction\"")));
        p = pmml_test::score(*m, {{"x", 1.0}});
        CHECK(text_out(*m, p, "node") == "left");
    }
    SECTION("lastPrediction stops at the parent") {
        auto m = pmml::load(document(dict, tree("missingValueStrategy=\"lastPrediction\"")));
        auto p = pmml_test::score(*m, {{"z", 1.0}});
        CHECK(text_out(*m, p, "node") == "root");
        CHECK(number_out(*m, p, "P_yes") == Approx(0.4));
    }
    SECTION("nullPrediction") {
        auto m = pmml::load(document(dict, tree("missingValueStrategy=\"nullPrediction\"")));
        auto p = pmml_test::score(*m, {{"z", 1.0}});
        CHECK(p.ok());
        CHECK(p.value.is_missing());
    }
    SECTION("defaultChild follows the named child") {
        auto doc = tree("missingValueStrategy=\"defaultChild\"");
        doc.replace(doc.find("<Node id=\"root\""), 15, "<Node id=\"root\" defaultChild=\"right\"");
        auto m = pmml::load(document(dict, doc));
        auto p = pmml_test::score(*m, {{"z", 1.0}});
        CHECK(text_out(*m, p, "node") == "right");
    }
}

TEST_CASE("RegressionModel: normalizations for classification", "[pmml]") {
    auto model = [](const std::string& norm) {
        return pmml::load(document(
            dict, "<RegressionModel functionName=\"classification\" normalizationMethod=\"" + norm + "\">" +
                      schema_c +
                      "<Output><OutputField name=\"P_yes\" feature=\"probability\" value=\"yes\"/>"
                      "<OutputField name=\"P_no\" feature=\"probability\" value=\"no\"/></Output>"
                      "<RegressionTable intercept=\"0.5\" targetCategory=\"yes\"><NumericPredictor "
                      "name=\"x\" coefficient=\"1\"/></RegressionTable>"
                      "<RegressionTable intercept=\"0\" targetCategory=\"no\"/></RegressionModel>\n"));
    };
    const double y = 0.5 + 1.0;
    struct Case {
        const char* norm;
        double p;
    } cases[] = {{"logit", 1 / (1 + std::exp(-y))},
                 {"probit", 0.5 * std::erfc(-y / std::sqrt(2.0))},
                 {"cloglog", 1 - std::exp(-std::exp(y))},
                 {"loglog", std::exp(-std::exp(-y))},
                 {"cauchit", 0.5 + std::atan(y) / M_PI},
                 {"softmax", std::exp(y) / (std::exp(y) + 1)},
                 {"none", y}};
    for (const auto& c : cases) {
        auto m = model(c.norm);
        auto p = pmml_test::score(*m, {{"x", 1.0}});
        INFO(c.norm << ": " << p.error);
        CHECK(number_out(*m, p, "P_yes") == Approx(c.p).epsilon(1e-14));
        CHECK(number_out(*m, p, "P_no") == Approx(1 - c.p).epsilon(1e-14));
    }
}

TEST_CASE("RegressionModel: an ordinal target's scores are cumulative; other uses are refused", "[pmml]") {
    // Three tables L, M, H with scores x - 1, x + 1 and 0: F_L = F(x - 1), F_M = F(x + 1), and
    // p_L = F_L, p_M = F_M - F_L, p_H = 1 - F_M.
    auto doc = [](const std::string& norm, const std::string& optype, const std::string& schema_optype,
                  const std::string& math = "") {
        const std::string d =
            "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
            "<DataField name=\"t\" optype=\"" +
            optype +
            "\" dataType=\"string\"><Value value=\"L\"/><Value value=\"M\"/><Value "
            "value=\"H\"/></DataField>\n";
        return document(
            d,
            "<RegressionModel functionName=\"classification\" normalizationMethod=\"" + norm + "\"" + math +
                "><MiningSchema><MiningField name=\"x\"/><MiningField name=\"t\" usageType=\"predicted\"" +
                (schema_optype.empty() ? "" : " optype=\"" + schema_optype + "\"") +
                "/></MiningSchema><Output><OutputField name=\"pL\" feature=\"probability\" value=\"L\"/>"
                "<OutputField name=\"pM\" feature=\"probability\" value=\"M\"/>"
                "<OutputField name=\"pH\" feature=\"probability\" value=\"H\"/></Output>"
                "<RegressionTable intercept=\"-1\" targetCategory=\"L\"><NumericPredictor name=\"x\" "
                "coefficient=\"1\"/></RegressionTable><RegressionTable intercept=\"1\" targetCategory=\"M\">"
                "<NumericPredictor name=\"x\" coefficient=\"1\"/></RegressionTable>"
                "<RegressionTable intercept=\"0\" targetCategory=\"H\"/></RegressionModel>\n");
    };
    auto logistic = [](double y) { return 1 / (1 + std::exp(-y)); };
    auto normal = [](double y) { return 0.5 * std::erfc(-y / std::sqrt(2.0)); };
    for (const auto& [optype, schema_optype] :
         {std::pair<std::string, std::string>{"ordinal", ""}, {"categorical", "ordinal"}})
        for (double x : {0.0, 1.0, -2.5, 3.0}) {
            INFO(optype << " / " << schema_optype << ", x = " << x);
            auto m = pmml::load(doc("logit", optype, schema_optype));
            auto p = pmml_test::score(*m, {{"x", x}});
            const double fl = logistic(x - 1), fm = logistic(x + 1);
            CHECK(number_out(*m, p, "pL") == Approx(fl).epsilon(1e-15));
            CHECK(number_out(*m, p, "pM") == Approx(fm - fl).epsilon(1e-15));
            CHECK(number_out(*m, p, "pH") == Approx(1 - fm).epsilon(1e-15));
            m = pmml::load(doc("probit", optype, schema_optype));
            p = pmml_test::score(*m, {{"x", x}});
            CHECK(number_out(*m, p, "pM") == Approx(normal(x + 1) - normal(x - 1)).epsilon(1e-15));
        }
    // x = 1: p = 0.5, 0.3808, 0.1192, so L is predicted (a per-class logistic would say M).
    auto m = pmml::load(doc("logit", "ordinal", ""));
    CHECK(to_string(pmml_test::score(*m, {{"x", 1.0}}).value) == "L");
    // none: the scores as cumulative probabilities, held to [0, 1].
    m = pmml::load(doc("none", "ordinal", ""));
    auto p = pmml_test::score(*m, {{"x", 0.5}});
    CHECK(number_out(*m, p, "pL") == 0.0);
    CHECK(number_out(*m, p, "pM") == 1.0);
    CHECK(number_out(*m, p, "pH") == 0.0);
    // float32 arithmetic (x-mathContext) takes the same steps in float.
    m = pmml::load(doc("logit", "ordinal", "", " x-mathContext=\"float\""));
    p = pmml_test::score(*m, {{"x", 1.0}});
    CHECK(number_out(*m, p, "pM") == Approx(logistic(2) - 0.5).epsilon(1e-6));

    CHECK_THAT(
        pmml_test::error_text(doc("logit", "categorical", "")),
        Catch::Contains("normalizationMethod 'logit' needs two target categories or an ordinal target"));
    CHECK_THAT(pmml_test::error_text(doc("softmax", "ordinal", "")),
               Catch::Contains("normalizationMethod 'softmax' does not apply to the ordinal target 't'"));
    CHECK_THAT(pmml_test::error_text(doc("exp", "categorical", "")),
               Catch::Contains("normalizationMethod 'exp' gives no probabilities"));
    // softmax, simplemax and none over a categorical target of three are as before.
    CHECK(pmml_test::error_text(doc("softmax", "categorical", "")) == "no error");
}

TEST_CASE("RegressionModel: terms and Targets rescaling", "[pmml]") {
    auto m = pmml::load(document(
        dict,
        "<RegressionModel functionName=\"regression\">" + schema_y +
            "<Targets><Target field=\"y\" rescaleFactor=\"2\" rescaleConstant=\"1\" castInteger=\"round\" "
            "max=\"100\"/></Targets>"
            "<RegressionTable intercept=\"1\"><NumericPredictor name=\"x\" exponent=\"2\" coefficient=\"3\"/>"
            "<PredictorTerm coefficient=\"0.5\"><FieldRef field=\"x\"/><FieldRef "
            "field=\"z\"/></PredictorTerm>"
            "</RegressionTable></RegressionModel>\n"));
    auto p = pmml_test::score(*m, {{"x", 2.0}, {"z", 1.0}});
    // (1 + 3*4 + 0.5*2) * 2 + 1 = 29
    CHECK(p.value.as_number() == 29);
    p = pmml_test::score(*m, {{"x", 20.0}, {"z", 1.0}});
    CHECK(p.value.as_number() == 201);  // clipped to 100 first, then rescaled
    p = pmml_test::score(*m, {{"z", 1.0}});
    CHECK(p.value.is_missing());
}

namespace {

std::string reg_segment(const std::string& id, const std::string& pred, double intercept, double weight = 1) {
    return "<Segment id=\"" + id + "\" weight=\"" + std::to_string(weight) + "\">" + pred +
           "<RegressionModel functionName=\"regression\">" + schema_y + "<RegressionTable intercept=\"" +
           std::to_string(intercept) +
           "\"><NumericPredictor name=\"x\" "
           "coefficient=\"1\"/></RegressionTable></RegressionModel></Segment>";
}

double mining(const std::string& method, double x) {
    auto m = pmml::load(document(
        dict,
        "<MiningModel functionName=\"regression\">" + schema_y + "<Segmentation multipleModelMethod=\"" +
            method + "\">" + reg_segment("1", "<True/>", 1, 1) +
            reg_segment("2", "<SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"0\"/>", 2, 3) +
            reg_segment("3", "<True/>", 10, 1) + "</Segmentation></MiningModel>\n"));
    auto p = pmml_test::score(*m, {{"x", x}});
    INFO(p.error);
    REQUIRE(p.value.is_number());
    return p.value.as_number();
}

}  // namespace

TEST_CASE("MiningModel: regression methods and segment predicates", "[pmml]") {
    CHECK(mining("sum", 1) == 2 + 3 + 11);
    CHECK(mining("sum", -1) == 0 + 9);
    CHECK(mining("average", 1) == Approx(16.0 / 3));
    CHECK(mining("weightedAverage", 1) == Approx((2 + 9 + 11) / 5.0));
    CHECK(mining("weightedSum", 1) == 2 + 9 + 11);
    CHECK(mining("median", 1) == 3);
    CHECK(mining("weightedMedian", 1) == 3);
    CHECK(mining("max", 1) == 11);
    CHECK(mining("selectFirst", 1) == 2);
    CHECK(mining("modelChain", 1) == 11);
}

TEST_CASE("MiningModel: modelChain passes output fields to later segments", "[pmml]") {
    auto m = pmml::load(
        document(dict, "<MiningModel functionName=\"regression\">" + schema_y +
                           "<Segmentation multipleModelMethod=\"modelChain\">"
                           "<Segment id=\"1\"><True/><RegressionModel functionName=\"regression\">" +
                           schema_y +
                           "<Output><OutputField name=\"first\" feature=\"predictedValue\"/></Output>"
                           "<RegressionTable intercept=\"1\"><NumericPredictor name=\"x\" "
                           "coefficient=\"2\"/></RegressionTable></RegressionModel></Segment>"
                           "<Segment id=\"2\"><True/><RegressionModel "
                           "functionName=\"regression\"><MiningSchema><MiningField name=\"first\"/>"
                           "<MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema>"
                           "<RegressionTable intercept=\"0\"><NumericPredictor name=\"first\" "
                           "coefficient=\"10\"/></RegressionTable></RegressionModel></Segment>"
                           "</Segmentation></MiningModel>\n"));
    auto p = pmml_test::score(*m, {{"x", 2.0}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == 50);
}

TEST_CASE("MiningModel: majority vote over trees", "[pmml]") {
    auto leaf_tree = [&](const char* score) {
        return std::string("<Segment><True/><TreeModel functionName=\"classification\">") + schema_c +
               "<Node score=\"" + score + "\"><True/></Node></TreeModel></Segment>";
    };
    auto m = pmml::load(document(
        dict, "<MiningModel functionName=\"classification\">" + schema_c +
                  "<Output><OutputField name=\"P_yes\" feature=\"probability\" value=\"yes\"/></Output>"
                  "<Segmentation multipleModelMethod=\"majorityVote\">" +
                  leaf_tree("yes") + leaf_tree("no") + leaf_tree("yes") + "</Segmentation></MiningModel>\n"));
    auto p = pmml_test::score(*m, {{"x", 1.0}});
    CHECK(to_string(p.value) == "yes");
    CHECK(number_out(*m, p, "P_yes") == Approx(2.0 / 3));
}

TEST_CASE("GeneralRegressionModel: multinomial logistic with a factor", "[pmml]") {
    auto m = pmml::load(
        document(dict + "<DataField name=\"f\" optype=\"categorical\" dataType=\"string\"/>\n",
                 "<GeneralRegressionModel modelType=\"multinomialLogistic\" functionName=\"classification\">"
                 "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"f\"/><MiningField name=\"c\" "
                 "usageType=\"predicted\"/></MiningSchema>"
                 "<Output><OutputField name=\"P_yes\" feature=\"probability\" value=\"yes\"/></Output>"
                 "<ParameterList><Parameter name=\"p0\"/><Parameter name=\"p1\"/><Parameter "
                 "name=\"p2\"/></ParameterList>"
                 "<FactorList><Predictor name=\"f\"/></FactorList><CovariateList><Predictor "
                 "name=\"x\"/></CovariateList>"
                 "<PPMatrix><PPCell value=\"1\" predictorName=\"x\" parameterName=\"p1\"/><PPCell "
                 "value=\"A\" predictorName=\"f\" parameterName=\"p2\"/></PPMatrix>"
                 "<ParamMatrix><PCell targetCategory=\"yes\" parameterName=\"p0\" beta=\"0.5\"/><PCell "
                 "targetCategory=\"yes\" parameterName=\"p1\" beta=\"2\"/>"
                 "<PCell targetCategory=\"yes\" parameterName=\"p2\" "
                 "beta=\"-1\"/></ParamMatrix></GeneralRegressionModel>\n"));
    auto p = pmml_test::score(*m, {{"x", 1.0}, {"f", "A"}});
    double eta = 0.5 + 2 - 1;
    CHECK(number_out(*m, p, "P_yes") == Approx(std::exp(eta) / (std::exp(eta) + 1)).epsilon(1e-15));
    p = pmml_test::score(*m, {{"x", 1.0}, {"f", "B"}});
    eta = 2.5;
    CHECK(number_out(*m, p, "P_yes") == Approx(std::exp(eta) / (std::exp(eta) + 1)).epsilon(1e-15));
}

TEST_CASE("NeuralNetwork: a 2-2-1 regression network", "[pmml]") {
    auto m = pmml::load(document(
        dict, "<NeuralNetwork functionName=\"regression\" activationFunction=\"tanh\">" + schema_y +
                  "<NeuralInputs><NeuralInput id=\"i1\"><DerivedField optype=\"continuous\" "
                  "dataType=\"double\"><FieldRef field=\"x\"/></DerivedField></NeuralInput>"
                  "<NeuralInput id=\"i2\"><DerivedField optype=\"continuous\" dataType=\"double\"><FieldRef "
                  "field=\"z\"/></DerivedField></NeuralInput></NeuralInputs>"
                  "<NeuralLayer><Neuron id=\"h1\" bias=\"0.1\"><Con from=\"i1\" weight=\"1\"/><Con "
                  "from=\"i2\" weight=\"-1\"/></Neuron>"
                  "<Neuron id=\"h2\" bias=\"-0.2\"><Con from=\"i1\" weight=\"0.5\"/></Neuron></NeuralLayer>"
                  "<NeuralLayer activationFunction=\"identity\"><Neuron id=\"o\" bias=\"1\"><Con from=\"h1\" "
                  "weight=\"2\"/><Con from=\"h2\" weight=\"3\"/></Neuron></NeuralLayer>"
                  "<NeuralOutputs><NeuralOutput outputNeuron=\"o\"><DerivedField optype=\"continuous\" "
                  "dataType=\"double\">"
                  "<NormContinuous field=\"y\"><LinearNorm orig=\"0\" norm=\"0\"/><LinearNorm orig=\"100\" "
                  "norm=\"1\"/></NormContinuous>"
                  "</DerivedField></NeuralOutput></NeuralOutputs></NeuralNetwork>\n"));
    auto p = pmml_test::score(*m, {{"x", 0.3}, {"z", 0.1}});
    double h1 = std::tanh(0.3 - 0.1 + 0.1), h2 = std::tanh(0.15 - 0.2);
    CHECK(p.value.as_number() == Approx(100 * (2 * h1 + 3 * h2 + 1)).epsilon(1e-14));
}

TEST_CASE("an output whose dataType cannot hold the value fails the record, naming the field", "[pmml]") {
    auto m = pmml::load(document(
        dict, "<RegressionModel functionName=\"regression\">" + schema_y +
                  "<Output><OutputField name=\"p\" feature=\"predictedValue\"/>"
                  "<OutputField name=\"pi\" feature=\"predictedValue\" dataType=\"integer\"/></Output>"
                  "<RegressionTable intercept=\"0.5\"><NumericPredictor name=\"x\" coefficient=\"1\"/>"
                  "</RegressionTable></RegressionModel>\n"));
    auto p = pmml_test::score(*m, {{"x", 12.0}});
    CHECK(p.error == "output field 'pi': '12.5' is not an integer");
    p = pmml_test::score(*m, {{"x", 1.5}});
    REQUIRE(p.ok());
    CHECK(number_out(*m, p, "pi") == 2.0);
}
