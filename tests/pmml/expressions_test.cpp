// Transformations: each expression kind and the built-in functions, through DerivedFields.

#include "pmml_test_util.hpp"

#include <algorithm>
#include <cmath>
#include <deque>

using namespace scorestream;
using pmml_test::document;

namespace {

const std::string dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"z\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"s\" optype=\"categorical\" dataType=\"string\"/>\n"
    "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";

/// A model whose output "d" is a derived field with the given expression (over x, z and s).
pmml::PmmlModelPtr with_expression(const std::string& expr, const std::string& type = "double",
                                   const std::string& functions = "") {
    std::string body =
        functions.empty() ? "" : "<TransformationDictionary>" + functions + "</TransformationDictionary>\n";
    body +=
        "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/><MiningField "
        "name=\"z\"/>"
        "<MiningField name=\"s\"/><MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema>"
        "<Output><OutputField name=\"d\" feature=\"transformedValue\" dataType=\"" +
        type +
        "\"><FieldRef field=\"t\"/></OutputField></Output>"
        "<LocalTransformations><DerivedField name=\"t\" optype=\"continuous\" dataType=\"" +
        type + "\">" + expr +
        "</DerivedField></LocalTransformations>"
        "<RegressionTable intercept=\"0\"/></RegressionModel>\n";
    return pmml::load(document(dict, body));
}

Value eval(const std::string& expr, std::initializer_list<pmml_test::In> in,
           const std::string& type = "double", const std::string& functions = "") {
    // Computed strings live in the Prediction's scratch (valid until its next score): keep both.
    static std::deque<std::pair<pmml::PmmlModelPtr, Prediction>> keep;
    auto m = with_expression(expr, type, functions);
    keep.emplace_back(m, pmml_test::score(*m, in));
    const auto& p = keep.back().second;
    INFO(p.error);
    REQUIRE(p.ok());
    return p.outputs.at(0);
}

double num(const std::string& expr, std::initializer_list<pmml_test::In> in) {
    auto v = eval(expr, in);
    INFO(expr << " -> " << to_string(v));
    REQUIRE(v.is_number());
    return v.as_number();
}

std::string call(const std::string& fn, const std::string& args) {
    return "<Apply function=\"" + fn + "\">" + args + "</Apply>";
}
const std::string X = "<FieldRef field=\"x\"/>", Z = "<FieldRef field=\"z\"/>", S = "<FieldRef field=\"s\"/>";
std::string C(const std::string& v) { return "<Constant>" + v + "</Constant>"; }

}  // namespace

TEST_CASE("arithmetic and math functions", "[pmml]") {
    CHECK(num(call("+", X + Z), {{"x", 2.0}, {"z", 3.0}}) == 5);
    CHECK(num(call("-", X + Z), {{"x", 2.0}, {"z", 3.0}}) == -1);
    CHECK(num(call("*", X + Z), {{"x", 2.0}, {"z", 3.0}}) == 6);
    CHECK(num(call("/", X + Z), {{"x", 3.0}, {"z", 2.0}}) == 1.5);
    CHECK(num(call("log10", X), {{"x", 1000.0}}) == Approx(3));
    CHECK(num(call("ln", X), {{"x", std::exp(2.0)}}) == Approx(2));
    CHECK(num(call("exp", X), {{"x", 0.0}}) == 1);
    CHECK(num(call("sqrt", X), {{"x", 16.0}}) == 4);
    CHECK(num(call("abs", X), {{"x", -2.5}}) == 2.5);
    CHECK(num(call("pow", X + Z), {{"x", 2.0}, {"z", 10.0}}) == 1024);
    CHECK(num(call("threshold", X + Z), {{"x", 2.0}, {"z", 1.0}}) == 1);
    CHECK(num(call("threshold", X + Z), {{"x", 1.0}, {"z", 1.0}}) == 0);
    CHECK(num(call("floor", X), {{"x", -1.5}}) == -2);
    CHECK(num(call("ceil", X), {{"x", -1.5}}) == -1);
    CHECK(num(call("round", X), {{"x", 2.5}}) == 3);
    CHECK(num(call("round", X), {{"x", -2.5}}) == -2);
    CHECK(num(call("min", X + Z + C("7")), {{"x", 4.0}, {"z", -1.0}}) == -1);
    CHECK(num(call("max", X + Z + C("7")), {{"x", 4.0}, {"z", -1.0}}) == 7);
    CHECK(num(call("sum", X + Z + C("7")), {{"x", 4.0}, {"z", -1.0}}) == 10);
    CHECK(num(call("avg", X + Z + C("7")), {{"x", 4.0}, {"z", -1.0}}) == Approx(10.0 / 3));
    CHECK(num(call("median", X + Z + C("7")), {{"x", 4.0}, {"z", -1.0}}) == 4);
    CHECK(num(call("median", X + Z + C("7") + C("8")), {{"x", 4.0}, {"z", -1.0}}) == 5.5);
    CHECK(num(call("product", X + Z + C("7")), {{"x", 4.0}, {"z", -1.0}}) == -28);
}

TEST_CASE("missing inputs: propagation, mapMissingTo, defaultValue, isMissing", "[pmml]") {
    CHECK(eval(call("+", X + Z), {{"x", 1.0}}).is_missing());
    CHECK(num("<Apply function=\"+\" mapMissingTo=\"-1\">" + X + Z + "</Apply>", {{"x", 1.0}}) == -1);
    CHECK(num(call("isMissing", Z), {{"x", 1.0}}) == 1);
    CHECK(num(call("isNotMissing", X), {{"x", 1.0}}) == 1);
    CHECK(num("<FieldRef field=\"z\" mapMissingTo=\"42\"/>", {}) == 42);
    CHECK(num(call("if", call("isMissing", Z) + C("1") + Z), {}) == 1);
}

TEST_CASE("comparison, boolean and set functions", "[pmml]") {
    CHECK(num(call("equal", X + C("2")), {{"x", 2.0}}) == 1);
    CHECK(num(call("notEqual", X + C("2")), {{"x", 2.0}}) == 0);
    CHECK(num(call("lessThan", X + C("2")), {{"x", 1.0}}) == 1);
    CHECK(num(call("greaterOrEqual", X + C("2")), {{"x", 1.0}}) == 0);
    CHECK(num(call("and", call("lessThan", X + C("2")) + call("greaterThan", X + C("0"))), {{"x", 1.0}}) ==
          1);
    CHECK(num(call("or", call("lessThan", X + C("0")) + call("greaterThan", X + C("5"))), {{"x", 1.0}}) == 0);
    CHECK(num(call("not", call("lessThan", X + C("0"))), {{"x", 1.0}}) == 1);
    CHECK(num(call("isIn", S + C("a") + C("b")), {{"s", "b"}}) == 1);
    CHECK(num(call("isNotIn", S + C("a") + C("b")), {{"s", "c"}}) == 1);
    CHECK(num(call("if", call("greaterThan", X + C("0")) + C("10") + C("20")), {{"x", -1.0}}) == 20);
}

TEST_CASE("string functions", "[pmml]") {
    CHECK(to_string(eval(call("uppercase", S), {{"s", "abc"}}, "string")) == "ABC");
    CHECK(to_string(eval(call("lowercase", S), {{"s", "AbC"}}, "string")) == "abc");
    CHECK(to_string(eval(call("substring", S + C("2") + C("3")), {{"s", "abcdef"}}, "string")) == "bcd");
    CHECK(to_string(eval(call("trimBlanks", S), {{"s", "  a b  "}}, "string")) == "a b");
    CHECK(to_string(eval(call("concat", S + C("-") + X), {{"s", "a"}, {"x", 3.0}}, "string")) == "a-3");
    CHECK(to_string(eval(call("replace", S + C("[0-9]+") + C("#")), {{"s", "a12b3"}}, "string")) == "a#b#");
    CHECK(num(call("matches", S + C("^a.c$")), {{"s", "abc"}}) == 1);
    CHECK(to_string(eval(call("formatNumber", X + C("%.2f")), {{"x", 3.14159}}, "string")) == "3.14");
    CHECK(to_string(eval(call("formatNumber", X + C("%3d")), {{"x", 7.0}}, "string")) == "  7");
}

TEST_CASE("NormContinuous interpolates, extrapolates and treats outliers", "[pmml]") {
    const std::string norm =
        "<LinearNorm orig=\"0\" norm=\"0\"/><LinearNorm orig=\"10\" norm=\"1\"/><LinearNorm orig=\"20\" "
        "norm=\"3\"/>";
    auto nc = [&](const std::string& attrs) {
        return "<NormContinuous field=\"x\"" + attrs + ">" + norm + "</NormContinuous>";
    };
    CHECK(num(nc(""), {{"x", 5.0}}) == Approx(0.5));
    CHECK(num(nc(""), {{"x", 15.0}}) == Approx(2.0));
    CHECK(num(nc(""), {{"x", 30.0}}) == Approx(5.0));
    CHECK(num(nc(""), {{"x", -10.0}}) == Approx(-1.0));
    CHECK(num(nc(" outliers=\"asExtremeValues\""), {{"x", 30.0}}) == 3);
    CHECK(eval(nc(" outliers=\"asMissingValues\""), {{"x", 30.0}}).is_missing());
    CHECK(num(nc(" mapMissingTo=\"9\""), {}) == 9);
}

TEST_CASE("NormDiscrete, Discretize and MapValues", "[pmml]") {
    CHECK(num("<NormDiscrete field=\"s\" value=\"a\"/>", {{"s", "a"}}) == 1);
    CHECK(num("<NormDiscrete field=\"s\" value=\"a\"/>", {{"s", "b"}}) == 0);
    const std::string disc =
        "<Discretize field=\"x\" defaultValue=\"other\" mapMissingTo=\"none\">"
        "<DiscretizeBin binValue=\"low\"><Interval closure=\"openClosed\" rightMargin=\"1\"/></DiscretizeBin>"
        "<DiscretizeBin binValue=\"mid\"><Interval closure=\"openOpen\" leftMargin=\"1\" "
        "rightMargin=\"5\"/></DiscretizeBin>"
        "</Discretize>";
    CHECK(to_string(eval(disc, {{"x", 1.0}}, "string")) == "low");
    CHECK(to_string(eval(disc, {{"x", 3.0}}, "string")) == "mid");
    CHECK(to_string(eval(disc, {{"x", 5.0}}, "string")) == "other");
    CHECK(to_string(eval(disc, {}, "string")) == "none");
    const std::string map =
        "<MapValues outputColumn=\"out\" defaultValue=\"0\" mapMissingTo=\"-1\"><FieldColumnPair field=\"s\" "
        "column=\"in\"/>"
        "<FieldColumnPair field=\"x\" column=\"n\"/><InlineTable>"
        "<row><in>a</in><n>1</n><out>10</out></row><row><in>b</in><n>1</n><out>20</out></row></InlineTable></"
        "MapValues>";
    CHECK(num(map, {{"s", "b"}, {"x", 1.0}}) == 20);
    CHECK(num(map, {{"s", "b"}, {"x", 2.0}}) == 0);
    CHECK(num(map, {{"x", 2.0}}) == -1);
}

TEST_CASE("DefineFunction with parameters, called twice in one expression", "[pmml]") {
    const std::string f =
        "<DefineFunction name=\"twice\" dataType=\"double\"><ParameterField name=\"a\"/>"
        "<Apply function=\"*\"><FieldRef field=\"a\"/><Constant>2</Constant></Apply></DefineFunction>"
        "<DefineFunction name=\"tag\" dataType=\"string\"><ParameterField name=\"a\"/>"
        "<Apply function=\"concat\"><Constant>&lt;</Constant><FieldRef "
        "field=\"a\"/><Constant>&gt;</Constant></Apply></DefineFunction>";
    CHECK(eval(call("+", call("twice", X) + call("twice", Z)), {{"x", 1.0}, {"z", 10.0}}, "double", f)
              .as_number() == 22);
    CHECK(to_string(eval(call("concat", call("tag", S) + call("tag", X)), {{"s", "a"}, {"x", 2.0}}, "string",
                         f)) == "<a><2>");
}

TEST_CASE("matches and replace on a megabyte field, and a bad pattern per record", "[pmml]") {
    // A recursive matcher (std::regex) overflows the stack on these; the engine runs in steps.
    std::string as(1 << 20, 'a');
    CHECK(num(call("matches", S + C("(a|b)*c")), {{"s", as.c_str()}}) == 0);
    CHECK(num(call("matches", S + C("^\\w+$")), {{"s", as.c_str()}}) == 1);
    std::string text = as + "c";
    CHECK(num(call("matches", S + C("(a|b)*c")), {{"s", text.c_str()}}) == 1);
    CHECK(to_string(eval(call("replace", S + C("\\w+") + C("&lt;$&amp;&gt;")), {{"s", as.c_str()}},
                         "string")) == "<" + as + ">");
    CHECK(to_string(eval(call("replace", S + C("(a+)c") + C("[$1]")), {{"s", text.c_str()}}, "string")) ==
          "[" + as + "]");
    // $-substitutions: $& the match, $1 a group, $$ a dollar.
    CHECK(to_string(eval(call("replace", S + C("(b+)") + C("$1$&$$")), {{"s", "abbc"}}, "string")) ==
          "abbbb$c");

    // A pattern that comes from the record and does not compile: the record fails with the reason
    // (invalidValueTreatment returnInvalid), or the result is missing (asMissing).
    auto m = with_expression(call("matches", C("abc") + S));
    auto p = pmml_test::score(*m, {{"s", "(b"}});
    CHECK_FALSE(p.ok());
    CHECK_THAT(p.error, Catch::Contains("matches") && Catch::Contains("bad regular expression '(b'") &&
                            Catch::Contains("')'"));
    p = pmml_test::score(*m, {{"s", "b"}});
    REQUIRE(p.ok());
    CHECK(p.outputs.at(0).as_number() == 1);
    auto lenient = with_expression("<Apply function=\"replace\" invalidValueTreatment=\"asMissing\">" +
                                       C("abc") + S + C("x") + "</Apply>",
                                   "string");
    p = pmml_test::score(*lenient, {{"s", "(?<=a)b"}});
    REQUIRE(p.ok());
    CHECK(p.outputs.at(0).is_missing());
    p = pmml_test::score(*lenient, {{"s", "b"}});
    REQUIRE(p.ok());
    CHECK(to_string(p.outputs.at(0)) == "axc");
}

TEST_CASE("matches and replace: constant patterns outside the subset are refused at load", "[pmml]") {
    auto refusal = [](const std::string& fn, const std::string& pattern, bool unsupported) {
        try {
            with_expression(call(fn, S + C(pattern) + (fn == "replace" ? C("x") : "")), "string");
        } catch (const unsupported_error& e) {
            CHECK(unsupported);
            return std::string(e.what());
        } catch (const invalid_value_error& e) {
            CHECK_FALSE(unsupported);
            return std::string(e.what());
        }
        FAIL("no exception for " << pattern);
        return std::string();
    };
    auto msg = refusal("replace", "(a)\\1", true);
    CHECK_THAT(msg, Catch::Contains("<Apply> at line") && Catch::Contains("backreference '\\1'"));
    msg = refusal("matches", "(?&lt;=a)b", true);
    CHECK_THAT(msg, Catch::Contains("<Apply> at line") && Catch::Contains("lookbehind"));
    msg = refusal("replace", "(a{1000}){1000}", true);
    CHECK_THAT(msg, Catch::Contains("<Apply> at line") && Catch::Contains("too large"));
    msg = refusal("replace", "a)", false);
    CHECK_THAT(msg, Catch::Contains("<Apply> at line") && Catch::Contains("unmatched ')'"));
}

TEST_CASE("substring and formatNumber with numbers beyond a size or a long", "[pmml]") {
    // A start or length past the text is clamped before it becomes a size_t.
    CHECK(to_string(eval(call("substring", S + C("1e300") + C("2")), {{"s", "abc"}}, "string")).empty());
    CHECK(to_string(eval(call("substring", S + C("2") + C("1e300")), {{"s", "abc"}}, "string")) == "bc");
    CHECK(to_string(eval(call("substring", S + C("4") + C("1")), {{"s", "abc"}}, "string")).empty());
    // %d of a number no long long holds: the record fails with the reason.
    auto m = with_expression(call("formatNumber", X + C("%d")), "string");
    auto p = pmml_test::score(*m, {{"x", -1e308}});
    CHECK_FALSE(p.ok());
    CHECK_THAT(p.error, Catch::Contains("formatNumber: %d") && Catch::Contains("outside the long range"));
    p = pmml_test::score(*m, {{"x", -9007199254740992.0}});
    REQUIRE(p.ok());
    CHECK(to_string(p.outputs.at(0)) == "-9007199254740992");
}

TEST_CASE("a record that fails inside an Apply names the Apply's line; a failing field names the field",
          "[pmml]") {
    // SAS Enterprise Miner's normalizing function as shipped: a Constant where the parameter is meant.
    const std::string f =
        "<DefineFunction name=\"normalize\" dataType=\"string\"><ParameterField name=\"width\"/>"
        "<ParameterField name=\"a\"/>\n<Apply function=\"substring\"><FieldRef field=\"a\"/>"
        "<Constant>1</Constant><Constant>width</Constant></Apply></DefineFunction>";
    const std::string body =
        "<TransformationDictionary>" + f + "</TransformationDictionary>\n" +
        "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/>"
        "<MiningField name=\"s\"/><MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema>"
        "<Output><OutputField name=\"d\" feature=\"transformedValue\" dataType=\"string\">"
        "<FieldRef field=\"t\"/></OutputField></Output>\n"
        "<LocalTransformations><DerivedField name=\"t\" optype=\"categorical\" dataType=\"string\">\n" +
        call("uppercase", call("normalize", C("8") + S)) +
        "</DerivedField></LocalTransformations>"
        "<RegressionTable intercept=\"0\"><NumericPredictor name=\"x\" coefficient=\"1\"/>"
        "</RegressionTable></RegressionModel>\n";
    const std::string text = document(dict, body);
    const auto at = text.find("<Apply function=\"substring\"");
    REQUIRE(at != std::string::npos);
    const auto line = 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n');
    auto m = pmml::load(text);
    auto p = pmml_test::score(*m, {{"x", 1.0}, {"s", "abc"}});
    REQUIRE_FALSE(p.ok());
    // The innermost built-in call says where; the uppercase around it adds nothing.
    CHECK(p.error ==
          "function 'substring': 'width' is not a number (<Apply> at line " + std::to_string(line) + ")");
    // A value that fails its field's check names the field, not the Apply that read it.
    p = pmml_test::score(*with_expression(call("+", X + C("1"))), {{"x", "abc"}, {"z", 1.0}});
    REQUIRE_FALSE(p.ok());
    CHECK(p.error == "invalid value 'abc' for field 'x'");
}

TEST_CASE("round halves up exactly; the normal distribution functions; isNotValid", "[pmml]") {
    // floor(x + 0.5) would give 1 and the next even integer for these.
    CHECK(num(call("round", C("0.49999999999999994")), {}) == 0);
    CHECK(num(call("round", C("4503599627370497")), {}) == 4503599627370497.0);
    CHECK(num(call("round", C("-4503599627370497")), {}) == -4503599627370497.0);
    CHECK(num(call("round", C("2.5")), {}) == 3);
    CHECK(num(call("round", C("-2.5")), {}) == -2);
    CHECK(num(call("round", C("-2.51")), {}) == -3);

    CHECK(num(call("stdNormalCDF", C("0")), {}) == 0.5);
    CHECK(num(call("normalCDF", C("1") + C("1") + C("2")), {}) == 0.5);
    CHECK(num(call("normalCDF", X + C("1") + C("2")), {{"x", 3.0}}) ==
          Approx(0.8413447460685429).epsilon(1e-15));
    CHECK(num(call("stdNormalPDF", C("0")), {}) == Approx(0.3989422804014327).epsilon(1e-15));
    CHECK(num(call("normalPDF", C("3") + C("1") + C("2")), {}) == Approx(0.12098536225957168).epsilon(1e-15));
    CHECK(num(call("erf", C("0.5")), {}) == Approx(0.5204998778130465).epsilon(1e-15));
    CHECK(num(call("stdNormalIDF", C("0.975")), {}) == Approx(1.959963984540054).epsilon(1e-15));
    CHECK(num(call("normalIDF", C("0.025") + C("10") + C("2")), {}) ==
          Approx(6.080072030919892).epsilon(1e-15));
    // A probability outside [0, 1] or a sigma not above zero is an invalid result.
    for (const std::string& bad :
         {call("stdNormalIDF", C("1.5")), call("normalCDF", C("1") + C("0") + C("0")),
          call("normalIDF", C("0.5") + C("0") + C("-1"))}) {
        auto p = pmml_test::score(*with_expression(bad), {});
        CHECK_THAT(p.error, Catch::Contains("returned an invalid result"));
    }
    CHECK(num(call("+", call("normalPDF", X + C("0") + C("1")) + C("0")), {{"x", 0.0}}) ==
          Approx(0.3989422804014327).epsilon(1e-15));

    // isNotValid, the name PMML 4.4 gives isInvalid: a valid or missing value is not invalid.
    CHECK(num(call("if", call("isNotValid", X) + C("1") + C("0")), {{"x", 2.0}}) == 0);
    CHECK(num(call("if", call("isNotValid", X) + C("1") + C("0")), {}) == 0);
}

TEST_CASE("division by zero follows the Apply's invalidValueTreatment and defaultValue", "[pmml]") {
    auto p = pmml_test::score(*with_expression(call("/", X + Z)), {{"x", 1.0}, {"z", 0.0}});
    CHECK_THAT(p.error, Catch::Contains("division by zero"));
    auto as_missing = "<Apply function=\"/\" invalidValueTreatment=\"asMissing\">" + X + Z + "</Apply>";
    p = pmml_test::score(*with_expression(as_missing), {{"x", 1.0}, {"z", 0.0}});
    REQUIRE(p.ok());
    CHECK(p.outputs.at(0).is_missing());
    auto with_default =
        "<Apply function=\"/\" invalidValueTreatment=\"asMissing\" defaultValue=\"-1\">" + X + Z + "</Apply>";
    CHECK(num(with_default, {{"x", 1.0}, {"z", 0.0}}) == -1);
    CHECK(num(with_default, {{"x", 1.0}, {"z", 4.0}}) == 0.25);
    auto as_is = "<Apply function=\"/\" invalidValueTreatment=\"asIs\">" + X + Z + "</Apply>";
    CHECK(num(as_is, {{"x", -1.0}, {"z", 0.0}}) == -HUGE_VAL);
}

TEST_CASE("texts a record builds are bounded: formatNumber's width and precision, concat and replace",
          "[pmml]") {
    // The C library would build a text of any width or precision a pattern asks (gigabytes).
    CHECK(to_string(eval(call("formatNumber", X + C("%.340f")), {{"x", 1.0}}, "string")).size() == 342);
    CHECK(to_string(eval(call("formatNumber", X + C("%400.1f")), {{"x", 1.0}}, "string")).size() == 400);
    CHECK(to_string(eval(call("formatNumber", X + C("%.340f")), {{"x", -1.7976931348623157e308}}, "string"))
              .size() == 651);
    auto p = pmml_test::score(*with_expression(call("formatNumber", X + C("%.999999999f")), "string"),
                              {{"x", 1.0}});
    CHECK_THAT(p.error, Catch::StartsWith("formatNumber: the precision in '%.999999999f' is above 340"));
    p = pmml_test::score(*with_expression(call("formatNumber", X + C("%9999999d")), "string"), {{"x", 1.0}});
    CHECK_THAT(p.error, Catch::StartsWith("formatNumber: the width in '%9999999d' is above 400"));

    // Calls that each double a text: 2^31 bytes if nothing stopped them (a chain of derived
    // fields, each the concat of the one before with itself).
    std::string fields =
        "<DerivedField name=\"t0\" optype=\"categorical\" dataType=\"string\">" + S + "</DerivedField>";
    for (int i = 1; i <= 30; ++i) {
        const std::string prev = "<FieldRef field=\"t" + std::to_string(i - 1) + "\"/>";
        fields += "<DerivedField name=\"t" + std::to_string(i) +
                  "\" optype=\"categorical\" dataType=\"string\">" + call("concat", prev + prev) +
                  "</DerivedField>";
    }
    const std::string body =
        "<TransformationDictionary>" + fields + "</TransformationDictionary>\n" +
        "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"s\"/>"
        "<MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema>"
        "<Output><OutputField name=\"d\" feature=\"transformedValue\" dataType=\"string\">"
        "<FieldRef field=\"t30\"/></OutputField></Output><RegressionTable "
        "intercept=\"0\"/></RegressionModel>\n";
    auto m = pmml::load(document(dict, body));
    p = pmml_test::score(*m, {{"s", "ab"}});
    CHECK_THAT(p.error, Catch::StartsWith(
                            "function 'concat': the result would be 33554432 bytes long (at most 16777216)"));

    // Each replace makes 65 letters of one: 65^4 is past the bound.
    std::string replaced = S;
    for (int i = 0; i < 6; ++i) replaced = call("replace", replaced + C("a") + C(std::string(65, 'a')));
    p = pmml_test::score(*with_expression(replaced, "string"), {{"s", "a"}});
    CHECK_THAT(p.error, Catch::StartsWith("function 'replace': the result is longer than 16777216 bytes"));
    // $` and $' copy the text before and after every match: quadratic in the text (a 1 MB text
    // would give 500 GB), stopped as it passes the bound.
    const std::string mega(1 << 20, 'a');
    p = pmml_test::score(*with_expression(call("replace", S + C("a") + C("[$`]")), "string"),
                         {{"s", mega.c_str()}});
    CHECK_THAT(p.error, Catch::StartsWith("function 'replace': the result is longer than 16777216 bytes"));
}

TEST_CASE("replace whose searches rescan the text is capped as its invalidValueTreatment says", "[pmml]") {
    // `a*b|a` on "aaa...": every search finds one "a" after scanning to the end of the text (the
    // higher-priority a*b is alive until then): quadratic, so replace stops at its work budget.
    const std::string mega(1 << 20, 'a');
    auto m = with_expression(call("replace", S + C("a*b|a") + C("x")), "string");
    auto p = pmml_test::score(*m, {{"s", mega.c_str()}});
    CHECK_FALSE(p.ok());
    CHECK_THAT(p.error,
               Catch::StartsWith("function 'replace': the regular expression takes too long on a text "
                                 "of 1048576 bytes"));
    p = pmml_test::score(*m, {{"s", "aaba"}});  // the next record is unaffected
    REQUIRE(p.ok());
    CHECK(to_string(p.outputs.at(0)) == "xx");
    auto lenient = with_expression("<Apply function=\"replace\" invalidValueTreatment=\"asMissing\">" + S +
                                       C("\\w+x|\\w") + C("y") + "</Apply>",
                                   "string");
    p = pmml_test::score(*lenient, {{"s", mega.c_str()}});
    REQUIRE(p.ok());
    CHECK(p.outputs.at(0).is_missing());
    // matches is one search, linear: answered.
    CHECK(num(call("matches", S + C("a*b|a")), {{"s", mega.c_str()}}) == 1);
}
