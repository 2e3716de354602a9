// MiningSchema treatments: missing replacement, invalid values, outliers, and typed conversion.

#include "pmml_test_util.hpp"

using namespace scorestream;
using pmml_test::document;

namespace {

const std::string dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"><Interval closure=\"closedClosed\" "
    "leftMargin=\"0\" rightMargin=\"100\"/></DataField>\n"
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"a\"/><Value "
    "value=\"b\"/><Value value=\"?\" property=\"missing\"/></DataField>\n"
    "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";

pmml::PmmlModelPtr model(const std::string& x_attrs, const std::string& c_attrs) {
    return pmml::load(
        document(dict, "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\" " +
                           x_attrs + "/><MiningField name=\"c\" " + c_attrs +
                           "/><MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema>"
                           "<RegressionTable intercept=\"0\"><NumericPredictor name=\"x\" coefficient=\"1\"/>"
                           "<CategoricalPredictor name=\"c\" value=\"b\" "
                           "coefficient=\"1000\"/></RegressionTable></RegressionModel>\n"));
}

}  // namespace

TEST_CASE("missingValueReplacement replaces missing inputs and missing markers", "[pmml]") {
    auto m = model("missingValueReplacement=\"7\"", "missingValueReplacement=\"b\"");
    auto p = pmml_test::score(*m, {});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == 1007);
    p = pmml_test::score(*m, {{"x", 1.0}, {"c", "?"}});
    CHECK(p.value.as_number() == 1001);
}

TEST_CASE("invalidValueTreatment", "[pmml]") {
    SECTION("returnInvalid reports the record as an error") {
        auto m = model("", "");
        auto p = pmml_test::score(*m, {{"x", 1.0}, {"c", "zzz"}});
        CHECK_FALSE(p.ok());
        CHECK_THAT(p.error, Catch::Contains("invalid value 'zzz'") && Catch::Contains("'c'"));
        p = pmml_test::score(*m, {{"x", 101.0}, {"c", "a"}});
        CHECK_FALSE(p.ok());
        p = pmml_test::score(*m, {{"x", "abc"}, {"c", "a"}});
        CHECK_FALSE(p.ok());
    }
    SECTION("asIs keeps the value") {
        auto m = model("invalidValueTreatment=\"asIs\"", "invalidValueTreatment=\"asIs\"");
        auto p = pmml_test::score(*m, {{"x", 101.0}, {"c", "zzz"}});
        REQUIRE(p.ok());
        CHECK(p.value.as_number() == 101);
    }
    SECTION("asMissing then missingValueReplacement") {
        auto m = model("invalidValueTreatment=\"asMissing\" missingValueReplacement=\"5\"",
                       "invalidValueTreatment=\"asMissing\"");
        auto p = pmml_test::score(*m, {{"x", -3.0}, {"c", "zzz"}});
        REQUIRE(p.ok());
        CHECK(p.value.as_number() == 5);
    }
    SECTION("asValue") {
        auto m = model("invalidValueTreatment=\"asValue\" invalidValueReplacement=\"50\"", "");
        auto p = pmml_test::score(*m, {{"x", 200.0}, {"c", "a"}});
        CHECK(p.value.as_number() == 50);
    }
}

TEST_CASE("outlier treatment", "[pmml]") {
    auto m = model("outliers=\"asExtremeValues\" lowValue=\"10\" highValue=\"20\"", "");
    CHECK(pmml_test::score(*m, {{"x", 5.0}, {"c", "a"}}).value.as_number() == 10);
    CHECK(pmml_test::score(*m, {{"x", 50.0}, {"c", "a"}}).value.as_number() == 20);
    CHECK(pmml_test::score(*m, {{"x", 15.0}, {"c", "a"}}).value.as_number() == 15);
    m = model("outliers=\"asMissingValues\" lowValue=\"10\" highValue=\"20\" missingValueReplacement=\"0\"",
              "");
    CHECK(pmml_test::score(*m, {{"x", 50.0}, {"c", "a"}}).value.as_number() == 0);
}

TEST_CASE("numbers given as text and categories given as numbers are converted", "[pmml]") {
    auto m = model("", "");
    auto p = pmml_test::score(*m, {{"x", "12.5"}, {"c", "b"}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == 1012.5);
}

TEST_CASE("integer and categorical inputs on the fast input path", "[pmml]") {
    const std::string d =
        "<DataField name=\"n\" optype=\"continuous\" dataType=\"integer\"/>\n"
        "<DataField name=\"k\" optype=\"categorical\" dataType=\"string\"><Value value=\"4\"/><Value "
        "value=\"8\"/></DataField>\n"
        "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";
    auto m = pmml::load(document(
        d,
        "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"n\"/><MiningField "
        "name=\"k\"/>"
        "<MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema><RegressionTable intercept=\"0\">"
        "<NumericPredictor name=\"n\" coefficient=\"1\"/><CategoricalPredictor name=\"k\" value=\"8\" "
        "coefficient=\"100\"/>"
        "</RegressionTable></RegressionModel>\n"));
    CHECK(pmml_test::score(*m, {{"n", 3.0}, {"k", "8"}}).value.as_number() == 103);
    CHECK(pmml_test::score(*m, {{"n", 3.0}, {"k", "4"}}).value.as_number() == 3);
    // a category given as a number (as a CSV reader produces it) still matches its text
    const auto& inputs = m->schema().inputs;
    std::vector<Value> row(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i)
        row[i] = inputs[i] == "n" ? Value::number(1) : Value::number(8, "8");
    Prediction p;
    m->score(FeatureRow(row.data(), row.size()), p);
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == 101);
    // a non-integral value for an integer field is invalid (returnInvalid by default)
    auto bad = pmml_test::score(*m, {{"n", 2.5}, {"k", "4"}});
    CHECK_FALSE(bad.ok());
    // a category outside the listed values is invalid
    CHECK_FALSE(pmml_test::score(*m, {{"n", 2.0}, {"k", "6"}}).ok());
}
