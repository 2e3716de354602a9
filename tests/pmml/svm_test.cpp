// SupportVectorMachineModel on small hand-written documents: each kernel, both representations,
// regression, one-against-one (votes, thresholds, ties, alternateBinaryTargetCategory) and
// one-against-all (maxWins), and malformed documents. Expected values are worked out in the test.

#include "pmml_test_util.hpp"

#include <scorestream/error.hpp>

#include <cmath>

using namespace scorestream;
using pmml_test::document;
using pmml_test::number_out;
using pmml_test::text_out;

namespace {

const std::string dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"z\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"k\" optype=\"categorical\" dataType=\"string\"><Value value=\"A\"/><Value "
    "value=\"B\"/><Value value=\"C\"/></DataField>\n"
    "<DataField name=\"yn\" optype=\"categorical\" dataType=\"string\"><Value value=\"yes\"/><Value "
    "value=\"no\"/></DataField>\n";

/// Vectors v1 = (1, 0) (sparse) and v2 = (0, 2) (dense); one regression machine 0.5 K(x, v1) - K(x, v2) +
/// 0.25.
std::string regression(const std::string& kernel) {
    return "<SupportVectorMachineModel functionName=\"regression\">"
           "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/><MiningField name=\"y\" "
           "usageType=\"predicted\"/></MiningSchema>" +
           kernel +
           "<VectorDictionary numberOfVectors=\"2\"><VectorFields numberOfFields=\"2\"><FieldRef "
           "field=\"x\"/>"
           "<FieldRef field=\"z\"/></VectorFields>"
           "<VectorInstance id=\"v1\"><REAL-SparseArray n=\"2\"><Indices>1</Indices>"
           "<REAL-Entries>1</REAL-Entries></REAL-SparseArray></VectorInstance>"
           "<VectorInstance id=\"v2\"><Array n=\"2\" type=\"real\">0 2</Array></VectorInstance>"
           "</VectorDictionary>"
           "<SupportVectorMachine><SupportVectors numberOfSupportVectors=\"2\"><SupportVector "
           "vectorId=\"v1\"/>"
           "<SupportVector vectorId=\"v2\"/></SupportVectors>"
           "<Coefficients absoluteValue=\"0.25\"><Coefficient value=\"0.5\"/><Coefficient value=\"-1\"/>"
           "</Coefficients></SupportVectorMachine></SupportVectorMachineModel>\n";
}

double regress(const std::string& kernel, double x, double z) {
    auto m = pmml::load(document(dict, regression(kernel)));
    auto p = pmml_test::score(*m, {{"x", x}, {"z", z}});
    INFO(p.error);
    REQUIRE(p.ok());
    REQUIRE(p.value.is_number());
    return p.value.as_number();
}

/// Three linear machines in the Coefficients form over (x, z), each "w . (x, z) + b".
std::string classifier(const std::string& attrs, const std::string& machines) {
    return "<SupportVectorMachineModel functionName=\"classification\" svmRepresentation=\"Coefficients\" " +
           attrs +
           "><MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/><MiningField name=\"k\" "
           "usageType=\"predicted\"/></MiningSchema>"
           "<Output><OutputField name=\"pA\" feature=\"probability\" value=\"A\"/>"
           "<OutputField name=\"pB\" feature=\"probability\" value=\"B\"/>"
           "<OutputField name=\"pC\" feature=\"probability\" value=\"C\"/></Output>"
           "<LinearKernelType/><VectorDictionary><VectorFields><FieldRef field=\"x\"/><FieldRef field=\"z\"/>"
           "</VectorFields></VectorDictionary>" +
           machines + "</SupportVectorMachineModel>\n";
}

std::string machine(const std::string& attrs, double wx, double wz, double b) {
    return "<SupportVectorMachine " + attrs + "><Coefficients absoluteValue=\"" + std::to_string(b) +
           "\"><Coefficient value=\"" + std::to_string(wx) + "\"/><Coefficient value=\"" +
           std::to_string(wz) + "\"/></Coefficients></SupportVectorMachine>";
}

}  // namespace

TEST_CASE("SupportVectorMachineModel: kernels (regression)", "[pmml][svm]") {
    // The record (1, 1): <x, v1> = 1, <x, v2> = 2; |x - v1|^2 = 0 + 1 = 1, |x - v2|^2 = 1 + 1 = 2.
    SECTION("linear: 0.5 * 1 - 1 * 2 + 0.25 = -1.25") {
        CHECK(regress("<LinearKernelType/>", 1, 1) == -1.25);
    }
    SECTION("polynomial (gamma 2, coef0 1, degree 2): 0.5 (2*1 + 1)^2 - (2*2 + 1)^2 + 0.25 = -20.25") {
        CHECK(regress("<PolynomialKernelType gamma=\"2\" coef0=\"1\" degree=\"2\"/>", 1, 1) == -20.25);
    }
    SECTION("radialBasis (gamma 0.5): 0.5 exp(-0.5 * 1) - exp(-0.5 * 2) + 0.25") {
        CHECK(regress("<RadialBasisKernelType gamma=\"0.5\"/>", 1, 1) ==
              Approx(0.5 * std::exp(-0.5) - std::exp(-1.0) + 0.25).epsilon(1e-15));
    }
    SECTION("sigmoid (gamma 1, coef0 0): 0.5 tanh(1) - tanh(2) + 0.25") {
        CHECK(regress("<SigmoidKernelType gamma=\"1\" coef0=\"0\"/>", 1, 1) ==
              Approx(0.5 * std::tanh(1.0) - std::tanh(2.0) + 0.25).epsilon(1e-15));
    }
    SECTION("a missing input gives no prediction") {
        auto m = pmml::load(document(dict, regression("<LinearKernelType/>")));
        auto p = pmml_test::score(*m, {{"x", 1.0}});
        REQUIRE(p.ok());
        CHECK(p.value.is_missing());
    }
}

TEST_CASE("SupportVectorMachineModel: Coefficients representation (regression)", "[pmml][svm]") {
    std::string doc =
        "<SupportVectorMachineModel functionName=\"regression\" svmRepresentation=\"Coefficients\">"
        "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/><MiningField name=\"y\" "
        "usageType=\"predicted\"/></MiningSchema><LinearKernelType/>"
        "<VectorDictionary><VectorFields><FieldRef field=\"x\"/><FieldRef field=\"z\"/></VectorFields>"
        "</VectorDictionary><SupportVectorMachine><Coefficients absoluteValue=\"1\"><Coefficient "
        "value=\"2\"/>"
        "<Coefficient value=\"3\"/></Coefficients></SupportVectorMachine></SupportVectorMachineModel>\n";
    auto m = pmml::load(document(dict, doc));
    // 2 * 1 + 3 * 1 + 1 = 6; 2 * 4 + 3 * (-1) + 1 = 6 too; 2 * 0.5 + 3 * 2 + 1 = 8.
    CHECK(pmml_test::score(*m, {{"x", 1.0}, {"z", 1.0}}).value.as_number() == 6.0);
    CHECK(pmml_test::score(*m, {{"x", 0.5}, {"z", 2.0}}).value.as_number() == 8.0);
}

TEST_CASE("SupportVectorMachineModel: one-against-one votes", "[pmml][svm]") {
    // At (1, 1): machine A|B gives 1 - 2 = -1, A|C gives 1 - 2 = -1, B|C gives 1 + 1 + 0 = 2.
    auto m1 = machine("targetCategory=\"A\" alternateTargetCategory=\"B\"", 1, 0, -2);
    auto m2 = machine("targetCategory=\"A\" alternateTargetCategory=\"C\"", 0, 1, -2);
    auto m3 = machine("targetCategory=\"B\" alternateTargetCategory=\"C\"", 1, 1, 0);
    SECTION("below the threshold (0) votes for targetCategory: A, A, C") {
        auto m =
            pmml::load(document(dict, classifier("classificationMethod=\"OneAgainstOne\"", m1 + m2 + m3)));
        auto p = pmml_test::score(*m, {{"x", 1.0}, {"z", 1.0}});
        REQUIRE(p.ok());
        CHECK(to_string(p.value) == "A");
        CHECK(number_out(*m, p, "pA") == 2.0 / 3);
        CHECK(number_out(*m, p, "pB") == 0.0);
        CHECK(number_out(*m, p, "pC") == 1.0 / 3);
    }
    SECTION("a machine's own threshold (3): 2 < 3 votes B") {
        auto m3t = machine("targetCategory=\"B\" alternateTargetCategory=\"C\" threshold=\"3\"", 1, 1, 0);
        auto m = pmml::load(document(dict, classifier("", m1 + m2 + m3t)));  // method inferred
        auto p = pmml_test::score(*m, {{"x", 1.0}, {"z", 1.0}});
        CHECK(number_out(*m, p, "pB") == 1.0 / 3);
    }
    SECTION("a three-way tie goes to the class voted for first") {
        // A|B with threshold -2: -1 >= -2 votes B (first); A|C: -1 < 0 votes A; B|C: 2 >= 0 votes C.
        auto m1t = machine("targetCategory=\"A\" alternateTargetCategory=\"B\" threshold=\"-2\"", 1, 0, -2);
        auto m = pmml::load(document(dict, classifier("", m1t + m2 + m3)));
        auto p = pmml_test::score(*m, {{"x", 1.0}, {"z", 1.0}});
        CHECK(number_out(*m, p, "pA") == 1.0 / 3);
        CHECK(number_out(*m, p, "pB") == 1.0 / 3);
        CHECK(number_out(*m, p, "pC") == 1.0 / 3);
        CHECK(to_string(p.value) == "B");
    }
}

TEST_CASE("SupportVectorMachineModel: one-against-all", "[pmml][svm]") {
    // At (1, 1): A gives 1, B gives 1 - 0.5 = 0.5, C gives 2 - 3 = -1.
    auto ms = machine("targetCategory=\"A\"", 1, 0, 0) + machine("targetCategory=\"B\"", 0, 1, -0.5) +
              machine("targetCategory=\"C\"", 1, 1, -3);
    SECTION("the smallest value wins by default") {
        auto m = pmml::load(document(dict, classifier("", ms)));
        CHECK(to_string(pmml_test::score(*m, {{"x", 1.0}, {"z", 1.0}}).value) == "C");
    }
    SECTION("maxWins: the largest wins") {
        auto m = pmml::load(
            document(dict, classifier("classificationMethod=\"OneAgainstAll\" maxWins=\"true\"", ms)));
        CHECK(to_string(pmml_test::score(*m, {{"x", 1.0}, {"z", 1.0}}).value) == "A");
    }
}

TEST_CASE("SupportVectorMachineModel: alternateBinaryTargetCategory", "[pmml][svm]") {
    std::string doc =
        "<SupportVectorMachineModel functionName=\"classification\" svmRepresentation=\"Coefficients\" "
        "alternateBinaryTargetCategory=\"no\"><MiningSchema><MiningField name=\"x\"/><MiningField "
        "name=\"z\"/>"
        "<MiningField name=\"yn\" usageType=\"predicted\"/></MiningSchema><LinearKernelType/>"
        "<VectorDictionary><VectorFields><FieldRef field=\"x\"/><FieldRef field=\"z\"/></VectorFields>"
        "</VectorDictionary>" +
        machine("targetCategory=\"yes\"", 1, 0, -2) + "</SupportVectorMachineModel>\n";
    auto m = pmml::load(document(dict, doc));
    CHECK(to_string(pmml_test::score(*m, {{"x", 1.0}, {"z", 0.0}}).value) == "yes");  // 1 - 2 < 0
    CHECK(to_string(pmml_test::score(*m, {{"x", 3.0}, {"z", 0.0}}).value) == "no");   // 3 - 2 >= 0
}

TEST_CASE("SupportVectorMachineModel: malformed documents are refused with element and line", "[pmml][svm]") {
    auto error_of = [](const std::string& body) { return pmml_test::error_text(document(dict, body)); };
    SECTION("a support vector that is not in the dictionary") {
        std::string doc = regression("<LinearKernelType/>");
        doc.replace(doc.find("vectorId=\"v2\""), 13, "vectorId=\"v9\"");
        CHECK_THAT(error_of(doc), Catch::Contains("<SupportVector> at line") && Catch::Contains("'v9'"));
    }
    SECTION("no kernel") {
        CHECK_THROWS_AS(pmml::load(document(dict, regression(""))), parse_error);
        CHECK_THAT(error_of(regression("")), Catch::Contains("<SupportVectorMachineModel> at line"));
    }
    SECTION("more coefficients than support vectors") {
        std::string doc = regression("<LinearKernelType/>");
        doc.replace(doc.find("</Coefficients>"), 15, "<Coefficient value=\"7\"/></Coefficients>");
        CHECK_THAT(error_of(doc), Catch::Contains("<SupportVectorMachine> at line") &&
                                      Catch::Contains("2 support vectors and 3 coefficients"));
    }
    SECTION("a sparse index outside the vector") {
        std::string doc = regression("<LinearKernelType/>");
        doc.replace(doc.find("<Indices>1</Indices>"), 20, "<Indices>3</Indices>");
        CHECK_THAT(error_of(doc), Catch::Contains("<Indices> at line") && Catch::Contains("outside 1..2"));
    }
    SECTION("a one-against-one machine without its second category") {
        auto doc =
            classifier("classificationMethod=\"OneAgainstOne\"", machine("targetCategory=\"A\"", 1, 0, 0));
        CHECK_THAT(error_of(doc), Catch::Contains("alternateTargetCategory"));
    }
}
