// The evaluator's fast paths must agree with the general semantics: binary-split trees with missing
// values under each strategy, categorical set tests on interned strings (values outside the
// document's strings, missing values, more than 64 strings), and ensembles taking the quick path.

#include "pmml_test_util.hpp"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

using namespace scorestream;
using pmml_test::document;
using pmml_test::text_out;

namespace {

const std::string dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"s\" optype=\"categorical\" dataType=\"string\"/>\n"
    "<DataField name=\"y\" optype=\"categorical\" dataType=\"string\"><Value value=\"A\"/><Value "
    "value=\"B\"/></DataField>\n";
const std::string schema =
    "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"s\"/><MiningField name=\"y\" "
    "usageType=\"predicted\"/></MiningSchema>";

/// A binary tree on x (every split is x <= t / x > t), with node ids for checks.
std::string binary_tree(const std::string& attrs) {
    return "<TreeModel functionName=\"classification\" " + attrs + ">" + schema +
           "<Output><OutputField name=\"node\" feature=\"entityId\"/></Output>"
           "<Node id=\"root\" score=\"A\" defaultChild=\"hi\"><True/>"
           "<Node id=\"lo\" score=\"A\"><SimplePredicate field=\"x\" operator=\"lessOrEqual\" "
           "value=\"5\"/></Node>"
           "<Node id=\"hi\" score=\"B\"><SimplePredicate field=\"x\" operator=\"greaterThan\" "
           "value=\"5\"/></Node>"
           "</Node></TreeModel>\n";
}

/// A regression tree predicting 1 for x <= 0.5 and 2 above, with these MiningFields before y's.
std::string half_split_tree(const std::string& input_fields) {
    return "<TreeModel functionName=\"regression\"><MiningSchema>" + input_fields +
           "<MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema>"
           "<Node score=\"0\"><True/><Node score=\"1\"><SimplePredicate field=\"x\" operator=\"lessOrEqual\" "
           "value=\"0.5\"/></Node><Node score=\"2\"><SimplePredicate field=\"x\" operator=\"greaterThan\" "
           "value=\"0.5\"/></Node></Node></TreeModel>\n";
}

/// Whether an Interval closure ("openClosed", ...) includes its left and its right margin.
std::pair<bool, bool> closed_ends(const std::string& closure) {
    return {closure.rfind("closed", 0) == 0,
            closure.size() >= 6 && closure.compare(closure.size() - 6, 6, "Closed") == 0};
}

/// The DataField of a double input x valid on [0, 1] with this closure.
std::string unit_interval_x(const char* closure) {
    return std::string("<DataField name=\"x\" optype=\"continuous\" dataType=\"double\">") +
           "<Interval closure=\"" + closure + "\" leftMargin=\"0\" rightMargin=\"1\"/></DataField>\n";
}

}  // namespace

TEST_CASE("binary-split trees: values and missing values under each strategy", "[pmml]") {
    auto m = pmml::load(document(dict, binary_tree("")));
    CHECK(text_out(*m, pmml_test::score(*m, {{"x", 5.0}}), "node") == "lo");
    CHECK(text_out(*m, pmml_test::score(*m, {{"x", 5.5}}), "node") == "hi");
    CHECK(pmml_test::score(*m, {}).value.is_missing());  // none + returnNullPrediction
    m = pmml::load(document(dict, binary_tree("missingValueStrategy=\"lastPrediction\"")));
    CHECK(text_out(*m, pmml_test::score(*m, {}), "node") == "root");
    m = pmml::load(document(dict, binary_tree("missingValueStrategy=\"defaultChild\"")));
    CHECK(text_out(*m, pmml_test::score(*m, {}), "node") == "hi");
    m = pmml::load(document(dict, binary_tree("missingValueStrategy=\"nullPrediction\"")));
    CHECK(pmml_test::score(*m, {}).value.is_missing());
}

TEST_CASE("categorical tests on interned strings", "[pmml]") {
    auto tree = [](const std::string& pred) {
        return pmml::load(document(
            dict, "<TreeModel functionName=\"classification\" noTrueChildStrategy=\"returnLastPrediction\">" +
                      schema + "<Node score=\"B\"><True/><Node score=\"A\">" + pred +
                      "</Node></Node></TreeModel>\n"));
    };
    auto in = tree(
        "<SimpleSetPredicate field=\"s\" booleanOperator=\"isIn\"><Array type=\"string\">\"a b\" "
        "c</Array></SimpleSetPredicate>");
    CHECK(to_string(pmml_test::score(*in, {{"s", "a b"}}).value) == "A");
    CHECK(to_string(pmml_test::score(*in, {{"s", "c"}}).value) == "A");
    CHECK(to_string(pmml_test::score(*in, {{"s", "never named"}}).value) == "B");
    CHECK(to_string(pmml_test::score(*in, {}).value) == "B");  // unknown: no true child
    auto out = tree(
        "<SimpleSetPredicate field=\"s\" booleanOperator=\"isNotIn\"><Array "
        "type=\"string\">c</Array></SimpleSetPredicate>");
    CHECK(to_string(pmml_test::score(*out, {{"s", "c"}}).value) == "B");
    CHECK(to_string(pmml_test::score(*out, {{"s", "never named"}}).value) == "A");
    auto ne = tree("<SimplePredicate field=\"s\" operator=\"notEqual\" value=\"c\"/>");
    CHECK(to_string(pmml_test::score(*ne, {{"s", "d"}}).value) == "A");
    CHECK(to_string(pmml_test::score(*ne, {{"s", "c"}}).value) == "B");

    // More than 64 distinct strings: tests past the 64th fall back to the general predicate.
    std::string many;
    for (int i = 0; i < 70; ++i) many += "s" + std::to_string(i) + " ";
    auto big = tree("<SimpleSetPredicate field=\"s\" booleanOperator=\"isIn\"><Array type=\"string\">" +
                    many + "</Array></SimpleSetPredicate>");
    CHECK(to_string(pmml_test::score(*big, {{"s", "s69"}}).value) == "A");
    CHECK(to_string(pmml_test::score(*big, {{"s", "s3"}}).value) == "A");
    CHECK(to_string(pmml_test::score(*big, {{"s", "t"}}).value) == "B");
}

TEST_CASE("ensembles: the quick path and the full path agree", "[pmml]") {
    auto forest = [&](const std::string& segment_output) {
        std::string segs;
        for (int t = 0; t < 3; ++t)
            segs +=
                "<Segment><True/><TreeModel functionName=\"classification\" "
                "missingValueStrategy=\"lastPrediction\">" +
                schema + segment_output + "<Node score=\"" + (t == 2 ? "B" : "A") +
                "\"><True/>"
                "<Node score=\"B\"><SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"" +
                std::to_string(t) +
                "\"/></Node>"
                "<Node score=\"A\"><SimplePredicate field=\"x\" operator=\"lessOrEqual\" value=\"" +
                std::to_string(t) +
                "\"/></Node>"
                "</Node></TreeModel></Segment>";
        return pmml::load(document(
            dict, "<MiningModel functionName=\"classification\">" + schema +
                      "<Output><OutputField name=\"P_B\" feature=\"probability\" value=\"B\"/></Output>"
                      "<Segmentation multipleModelMethod=\"majorityVote\">" +
                      segs + "</Segmentation></MiningModel>\n"));
    };
    auto quick = forest("");
    auto full =
        forest("<Output><OutputField name=\"seg\" feature=\"predictedValue\"/></Output>");  // no quick path
    for (double x : {-1.0, 0.5, 1.5, 2.5}) {
        auto a = pmml_test::score(*quick, {{"x", x}});
        auto b = pmml_test::score(*full, {{"x", x}});
        INFO("x = " << x);
        CHECK(a.value == b.value);
        CHECK(a.outputs[0].as_number() == b.outputs[0].as_number());
    }
    auto a = pmml_test::score(*quick, {});
    auto b = pmml_test::score(*full, {});
    CHECK(a.value == b.value);
    CHECK(to_string(a.value) == "A");  // lastPrediction: roots A, A, B
    CHECK(a.outputs[0].as_number() == Approx(1.0 / 3));
}

TEST_CASE("two listed category sets: strings named elsewhere in the document take the general path",
          "[pmml]") {
    // Tree 1 splits s into {a} / {b}; tree 2 names "c", which neither set of tree 1 lists: for
    // s = "c" tree 1 has no true child (returnLastPrediction gives its root's score).
    auto split = [](const char* left, const char* right, const char* root, const char* l, const char* r) {
        return std::string(
                   "<Segment><True/><TreeModel functionName=\"classification\" "
                   "noTrueChildStrategy=\"returnLastPrediction\">") +
               schema + "<Node score=\"" + root +
               "\"><True/>"
               "<Node score=\"" +
               l + "\"><SimpleSetPredicate field=\"s\" booleanOperator=\"isIn\"><Array type=\"string\">" +
               left +
               "</Array></SimpleSetPredicate></Node>"
               "<Node score=\"" +
               r + "\"><SimpleSetPredicate field=\"s\" booleanOperator=\"isIn\"><Array type=\"string\">" +
               right + "</Array></SimpleSetPredicate></Node></Node></TreeModel></Segment>";
    };
    auto m = pmml::load(
        document(dict, "<MiningModel functionName=\"classification\">" + schema +
                           "<Output><OutputField name=\"P_A\" feature=\"probability\" value=\"A\"/></Output>"
                           "<Segmentation multipleModelMethod=\"majorityVote\">" +
                           split("a", "b", "B", "A", "B") + split("c", "a b", "A", "A", "B") +
                           "</Segmentation></MiningModel>\n"));
    auto p = pmml_test::score(*m, {{"s", "a"}});  // tree 1: A, tree 2: B
    CHECK(pmml_test::number_out(*m, p, "P_A") == 0.5);
    p = pmml_test::score(*m, {{"s", "c"}});  // tree 1: no true child -> root B; tree 2: A
    CHECK(pmml_test::number_out(*m, p, "P_A") == 0.5);
    p = pmml_test::score(*m, {{"s", "zzz"}});  // both: no true child -> B, A
    CHECK(pmml_test::number_out(*m, p, "P_A") == 0.5);
    p = pmml_test::score(*m, {{"s", "b"}});  // B, B
    CHECK(pmml_test::number_out(*m, p, "P_A") == 0.0);
}

TEST_CASE("input plan: interval bounds are exact at the boundary and around it", "[pmml]") {
    // An open bound is checked as a closed bound on the next double inward: the boundary itself is
    // invalid (asMissing: the tree then predicts nothing), the neighbouring doubles are valid.
    for (const char* closure : {"openOpen", "closedClosed", "openClosed", "closedOpen"}) {
        const std::string d =
            unit_interval_x(closure) + "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";
        auto m = pmml::load(
            document(d, half_split_tree("<MiningField name=\"x\" invalidValueTreatment=\"asMissing\"/>")));
        const auto [lo_closed, hi_closed] = closed_ends(closure);
        INFO(closure);
        auto at = [&](double x) { return pmml_test::score(*m, {{"x", x}}).value; };
        CHECK(at(0.0).is_number() == lo_closed);
        CHECK(at(1.0).is_number() == hi_closed);
        CHECK(at(std::nextafter(0.0, 1.0)).as_number() == 1.0);
        CHECK(at(std::nextafter(1.0, 0.0)).as_number() == 2.0);
        CHECK(at(-1e-300).is_missing());
        CHECK(at(std::nextafter(1.0, 2.0)).is_missing());
        CHECK(at(std::nan("")).is_missing());
        CHECK(at(HUGE_VAL).is_missing());
    }
}

TEST_CASE("input plan: a typed NaN never reaches the walk, with an interval or without", "[pmml]") {
    // Without an interval the fast load tests a typed number for NaN alone; with one, against both
    // bounds. NaN takes the full load either way: neither child's predicate holds for it, so the
    // tree predicts nothing (the walk alone would send it to the second child, 2). Infinities are
    // numbers like others without an interval.
    const std::string y = "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";
    for (bool bounded : {false, true}) {
        const std::string x = bounded ? unit_interval_x("closedClosed")
                                      : "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n";
        auto m = pmml::load(document(x + y, half_split_tree("<MiningField name=\"x\"/>")));
        INFO((bounded ? "with" : "without") << " an interval");
        auto at = [&](double v) { return pmml_test::score(*m, {{"x", v}}).value; };
        CHECK(at(std::nan("")).is_missing());
        CHECK(at(0.75).as_number() == 2.0);
        CHECK(at(0.25).as_number() == 1.0);
        if (!bounded) {
            CHECK(at(HUGE_VAL).as_number() == 2.0);
            CHECK(at(-HUGE_VAL).as_number() == 1.0);
        }
    }
}

TEST_CASE("input plan: inputs taken as is are still seen by expressions and validity checks", "[pmml]") {
    // x and s are read by the plan without their slots; a derived field and isValid/isMissing must
    // still see their values (and an invalid string must still be reported through the slot).
    const std::string d =
        "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
        "<DataField name=\"s\" optype=\"categorical\" dataType=\"string\"><Value value=\"a\"/><Value "
        "value=\"b\"/></DataField>\n"
        "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";
    auto m = pmml::load(document(
        d,
        "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/>"
        "<MiningField name=\"s\" invalidValueTreatment=\"asIs\"/><MiningField name=\"y\" "
        "usageType=\"predicted\"/></MiningSchema>"
        "<Output><OutputField name=\"twice\" feature=\"transformedValue\"><Apply function=\"*\"><FieldRef "
        "field=\"x\"/><Constant>2</Constant></Apply></OutputField>"
        "<OutputField name=\"s_valid\" feature=\"transformedValue\"><Apply function=\"isValid\"><FieldRef "
        "field=\"s\"/></Apply></OutputField>"
        "<OutputField name=\"s_text\" feature=\"transformedValue\"><FieldRef field=\"s\"/></OutputField>"
        "</Output><RegressionTable intercept=\"1\"><NumericPredictor name=\"x\" coefficient=\"3\"/>"
        "<CategoricalPredictor name=\"s\" value=\"b\" coefficient=\"10\"/></RegressionTable>"
        "</RegressionModel>\n"));
    auto p = pmml_test::score(*m, {{"x", 2.5}, {"s", "b"}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == 1 + 3 * 2.5 + 10);
    CHECK(pmml_test::number_out(*m, p, "twice") == 5.0);
    CHECK(text_out(*m, p, "s_valid") == "true");
    CHECK(text_out(*m, p, "s_text") == "b");
    p = pmml_test::score(*m, {{"x", 2.5}, {"s", "zz"}});  // unlisted, kept as is
    REQUIRE(p.ok());
    CHECK(text_out(*m, p, "s_valid") == "false");
    CHECK(text_out(*m, p, "s_text") == "zz");
    CHECK(p.value.as_number() == 1 + 3 * 2.5);
    // Scoring twice with the same Prediction: the second record's values, not the first's.
    const auto& names = m->schema().inputs;
    std::vector<Value> row(names.size());
    Prediction q;
    for (double x : {1.0, 4.0}) {
        for (std::size_t i = 0; i < names.size(); ++i)
            row[i] = names[i] == "x" ? Value::number(x) : Value::string("a");
        m->score(FeatureRow(row.data(), row.size()), q);
        REQUIRE(q.ok());
        CHECK(pmml_test::number_out(*m, q, "twice") == 2 * x);
        CHECK(text_out(*m, q, "s_text") == "a");
    }
}

TEST_CASE("input plan: numbers given as text read as parse_double reads them, at every closure", "[pmml]") {
    // The plan reads short decimals itself and leaves every other text to the general path; both
    // must give the verdicts a typed number gets (asMissing: an invalid value predicts nothing).
    for (const char* closure : {"openOpen", "closedClosed", "openClosed", "closedOpen"}) {
        const std::string d =
            unit_interval_x(closure) +
            "<DataField name=\"s\" optype=\"categorical\" dataType=\"string\"><Value value=\"a\"/>"
            "</DataField>\n"
            "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";
        auto m = pmml::load(
            document(d, half_split_tree("<MiningField name=\"x\" invalidValueTreatment=\"asMissing\"/>"
                                        "<MiningField name=\"s\" invalidValueTreatment=\"asIs\"/>")));
        const auto [lo_closed, hi_closed] = closed_ends(closure);
        INFO(closure);
        // -1: missing (invalid, or outside the interval)
        struct Case {
            const char* text;
            double expect;
        };
        const Case cases[] = {{"0", lo_closed ? 1.0 : -1.0},
                              {"0.0", lo_closed ? 1.0 : -1.0},
                              {"-0", lo_closed ? 1.0 : -1.0},
                              {"1", hi_closed ? 2.0 : -1.0},
                              {"1.000", hi_closed ? 2.0 : -1.0},
                              {"0.5", 1.0},
                              {".5", 1.0},
                              {"0.50000000000000001", 1.0},  // rounds to 0.5
                              {"0.5000000000000001", 2.0},
                              {"0.9999999999999999", 2.0},  // the double below 1
                              {"1.0000000000000002", -1.0},
                              {"4.9e-324", 1.0},  // the double above 0 (through from_chars)
                              {"-1e-300", -1.0},
                              {"2.5e-1", 1.0},
                              {" 0.25", 1.0},
                              {"0.25 ", 1.0},
                              {"+0.25", 1.0},
                              {"NaN", -1.0},
                              {"nan", -1.0},
                              {"INF", -1.0},
                              {"Infinity", -1.0},
                              {"-inf", -1.0},
                              {"", -1.0},
                              {"abc", -1.0},
                              {"0.2.5", -1.0},
                              {"1,5", -1.0},
                              {"-", -1.0},
                              {".", -1.0},
                              {"12345678901234567890", -1.0}};
        for (const auto& k : cases) {
            INFO(k.text);
            // alone, and next to a listed string (one loop) and an unlisted one (the full loop)
            for (const char* s : {"a", "zz"}) {
                auto v = pmml_test::score(*m, {{"x", k.text}, {"s", s}}).value;
                if (k.expect < 0) {
                    CHECK(v.is_missing());
                } else {
                    REQUIRE(v.is_number());
                    CHECK(v.as_number() == k.expect);
                }
            }
        }
    }
}

TEST_CASE("input plan: text numbers for integer fields, returnInvalid, and missing markers", "[pmml]") {
    const std::string d =
        "<DataField name=\"n\" optype=\"continuous\" dataType=\"integer\"/>\n"
        "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"><Value value=\"-999\" "
        "property=\"missing\"/></DataField>\n"
        "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";
    auto m = pmml::load(
        document(d,
                 "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"n\"/>"
                 "<MiningField name=\"x\" missingValueReplacement=\"0.25\"/><MiningField name=\"y\" "
                 "usageType=\"predicted\"/></MiningSchema>"
                 "<RegressionTable intercept=\"0\"><NumericPredictor name=\"n\" coefficient=\"10\"/>"
                 "<NumericPredictor name=\"x\" coefficient=\"1\"/></RegressionTable></RegressionModel>\n"));
    auto p = pmml_test::score(*m, {{"n", "3"}, {"x", "0.5"}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == 30.5);
    p = pmml_test::score(*m, {{"n", "3.0"}, {"x", "-999"}});  // a whole number; the missing marker
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == 30.25);
    p = pmml_test::score(*m, {{"n", "-4"}, {"x", "-999.0"}});  // the marker's value, spelled otherwise
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == -39.75);
    p = pmml_test::score(*m, {{"n", "3.5"}, {"x", "1"}});  // not a whole number: returnInvalid
    CHECK_FALSE(p.ok());
    CHECK(p.error.find("'n'") != std::string::npos);
    p = pmml_test::score(*m, {{"n", "3"}, {"x", "one"}});
    CHECK_FALSE(p.ok());
    CHECK(p.error.find("'x'") != std::string::npos);
    // Typed and text rows give the same results, in either order on one Prediction.
    const auto& names = m->schema().inputs;
    std::vector<Value> row(names.size());
    Prediction q;
    for (int k = 0; k < 4; ++k) {
        bool text = (k & 1) != 0;
        for (std::size_t i = 0; i < names.size(); ++i)
            row[i] = names[i] == "n" ? (text ? Value::string("7") : Value::number(7.0))
                                     : (text ? Value::string("0.125") : Value::number(0.125));
        m->score(FeatureRow(row.data(), row.size()), q);
        REQUIRE(q.ok());
        CHECK(q.value.as_number() == 70.125);
    }
}

TEST_CASE("input plan: a number given for a string input is looked up by its text", "[pmml]") {
    // s is a string field; a caller holding typed records may pass its codes as numbers. The input
    // plan looks a number up by the text the full conversion gives it (the text it was read from,
    // else the shortest text that reads back as the number). `general` gives s a replacement for
    // missing values, which keeps it off the plan, so every value takes the full conversion there.
    auto model = [](bool general) {
        const std::string d =
            "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
            "<DataField name=\"s\" optype=\"categorical\" dataType=\"string\"><Value value=\"8\"/><Value "
            "value=\"8.5\"/><Value value=\"12\"/><Value value=\"0.30000000000000004\"/><Value "
            "value=\"1e+20\"/></DataField>\n"
            "<DataField name=\"y\" optype=\"categorical\" dataType=\"string\"><Value value=\"A\"/><Value "
            "value=\"B\"/></DataField>\n";
        const std::string s_field = general ? "<MiningField name=\"s\" missingValueReplacement=\"12\"/>"
                                            : "<MiningField name=\"s\"/>";
        return pmml::load(document(
            d,
            "<TreeModel functionName=\"classification\" noTrueChildStrategy=\"returnLastPrediction\">"
            "<MiningSchema><MiningField name=\"x\"/>" +
                s_field +
                "<MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema><Node score=\"B\"><True/>"
                "<Node score=\"A\"><SimpleSetPredicate field=\"s\" booleanOperator=\"isIn\"><Array "
                "type=\"string\">8 8.5 0.30000000000000004 1e+20</Array></SimpleSetPredicate></Node>"
                "</Node></TreeModel>\n"));
    };
    auto planned = model(false), general = model(true);
    auto run = [](const pmml::PmmlModel& m, const Value& s) {
        const auto& names = m.schema().inputs;
        std::vector<Value> row(names.size());
        for (std::size_t i = 0; i < names.size(); ++i) row[i] = names[i] == "s" ? s : Value::number(1.0);
        Prediction p;
        m.score(FeatureRow(row.data(), row.size()), p);
        return p;
    };
    struct Case {
        Value s;
        const char* expect;  ///< the prediction, or "" for an invalid value (an error naming s)
    };
    const Case cases[] = {
        {Value::number(8), "A"},          {Value::number(8.5), "A"},
        {Value::number(12), "B"},         {Value::number(0.1 + 0.2), "A"},
        {Value::number(1e20), "A"},       {Value::number(9), ""},  // listed nowhere: returnInvalid
        {Value::number(8.0, "8.0"), ""},                           // read from "8.0": that text is not listed
        {Value::number(8.5, "8.5"), "A"},                          // read from a listed text
        {Value::number(-0.0), ""},                                 // "-0"
        {Value::number(HUGE_VAL), ""},                             // "Infinity"
        {Value::string("8"), "A"},        {Value::string("8.0"), ""},
    };
    for (const Case& c : cases) {
        INFO("s = " << to_string(c.s) << (c.s.is_number() ? " (a number)" : " (a string)"));
        const Prediction a = run(*planned, c.s), b = run(*general, c.s);
        CHECK(a.error == b.error);
        CHECK(to_string(a.value) == to_string(b.value));
        if (*c.expect) {
            CHECK(a.ok());
            CHECK(to_string(a.value) == c.expect);
        } else {
            CHECK_FALSE(a.ok());
            CHECK(a.error.find("'s'") != std::string::npos);
        }
    }
}

TEST_CASE("input plan: a value the DataField lists twice counts once among the listed ones", "[pmml]") {
    // s lists A twice; the tree also compares s with C, which the field does not list, so C is
    // invalid (returnInvalid) whichever path the record takes. `general` keeps s off the plan.
    auto model = [](bool general) {
        const std::string d =
            "<DataField name=\"s\" optype=\"categorical\" dataType=\"string\"><Value value=\"A\"/><Value "
            "value=\"B\"/><Value value=\"A\"/></DataField>\n"
            "<DataField name=\"y\" optype=\"categorical\" dataType=\"string\"><Value value=\"yes\"/><Value "
            "value=\"no\"/></DataField>\n";
        const std::string s_field =
            general ? "<MiningField name=\"s\" missingValueReplacement=\"B\"/>" : "<MiningField name=\"s\"/>";
        return pmml::load(document(
            d,
            "<TreeModel functionName=\"classification\"><MiningSchema>" + s_field +
                "<MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema><Node score=\"no\"><True/>"
                "<Node score=\"yes\"><SimpleSetPredicate field=\"s\" booleanOperator=\"isIn\"><Array "
                "type=\"string\">A C</Array></SimpleSetPredicate></Node>"
                "<Node score=\"no\"><True/></Node></Node></TreeModel>\n"));
    };
    auto planned = model(false), general = model(true);
    auto run = [](const pmml::PmmlModel& m, const char* s) {
        Value v = Value::string(s);
        Prediction p;
        m.score(FeatureRow(&v, 1), p);
        return p;
    };
    for (const char* s : {"A", "B", "C", "D"}) {
        INFO("s = " << s);
        const Prediction a = run(*planned, s), b = run(*general, s);
        CHECK(a.error == b.error);
        CHECK(to_string(a.value) == to_string(b.value));
        const bool listed = std::string(s) != "C" && std::string(s) != "D";
        CHECK(a.error.empty() == listed);
        if (listed) CHECK(to_string(a.value) == (std::string(s) == "A" ? "yes" : "no"));
    }
}
