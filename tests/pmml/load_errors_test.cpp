// Bad documents: every one is refused at load with a typed exception naming the element and line.

#include "pmml_test_util.hpp"

#include <scorestream/error.hpp>

using namespace scorestream;
using pmml_test::document;
using pmml_test::load_error;

namespace {

const std::string dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";

std::string regression(const std::string& inner,
                       const std::string& table = "<NumericPredictor name=\"x\" coefficient=\"2\"/>") {
    return "<RegressionModel functionName=\"regression\">\n<MiningSchema>\n<MiningField name=\"x\"/>\n"
           "<MiningField name=\"y\" usageType=\"predicted\"/>\n</MiningSchema>\n" +
           inner + "<RegressionTable intercept=\"1\">" + table + "</RegressionTable>\n</RegressionModel>\n";
}

}  // namespace

TEST_CASE("a valid minimal document loads and scores", "[pmml]") {
    auto m = pmml::load(document(dict, regression("")));
    auto p = pmml_test::score(*m, {{"x", 3.0}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == 7.0);
    CHECK(m->schema().inputs == std::vector<std::string>{"x"});
    CHECK(m->schema().target == "y");
}

TEST_CASE("malformed XML is a parse_error with its line", "[pmml]") {
    auto msg =
        load_error<parse_error>("<PMML version=\"4.3\">\n<DataDictionary>\n<DataField name=\"x\"\n</PMML>");
    CHECK_THAT(msg, Catch::Contains("line 4") || Catch::Contains("line 3"));
    load_error<parse_error>("");
    load_error<parse_error>("not xml at all");
}

TEST_CASE("wrong root, namespace or version is refused", "[pmml]") {
    CHECK_THAT(load_error<parse_error>("<NotPMML/>"), Catch::Contains("<NotPMML> at line 1"));
    CHECK_THAT(load_error<parse_error>(
                   "<PMML version=\"4.3\" xmlns=\"http://example.com/other\"><DataDictionary/></PMML>"),
               Catch::Contains("namespace"));
    CHECK_THAT(load_error<unsupported_error>(document(dict, regression(""), "5.0")),
               Catch::Contains("version '5.0'"));
    load_error<parse_error>("<PMML xmlns=\"http://www.dmg.org/PMML-4_3\"><DataDictionary/></PMML>");
}

TEST_CASE("unsupported model elements name the element and line", "[pmml]") {
    auto text = document(dict, "<GaussianProcessModel functionName=\"regression\"/>\n");
    auto msg = load_error<unsupported_error>(text);
    CHECK_THAT(msg, Catch::Contains("<GaussianProcessModel> at line 8"));
}

TEST_CASE("references to undefined fields and functions are refused", "[pmml]") {
    auto msg = load_error<invalid_value_error>(
        document(dict, regression("", "<NumericPredictor name=\"nope\" coefficient=\"1\"/>")));
    CHECK_THAT(msg, Catch::Contains("undefined field 'nope'") && Catch::Contains("<NumericPredictor>"));
    auto lt =
        "<LocalTransformations><DerivedField name=\"d\" optype=\"continuous\" dataType=\"double\">"
        "<Apply function=\"noSuchFunction\"><FieldRef "
        "field=\"x\"/></Apply></DerivedField></LocalTransformations>\n";
    msg = load_error<invalid_value_error>(
        document(dict, regression(lt, "<NumericPredictor name=\"d\" coefficient=\"1\"/>")));
    CHECK_THAT(msg, Catch::Contains("undefined function 'noSuchFunction'") && Catch::Contains("<Apply>"));
}

TEST_CASE("a cycle of derived fields is refused", "[pmml]") {
    auto lt =
        "<LocalTransformations>\n"
        "<DerivedField name=\"a\" optype=\"continuous\" dataType=\"double\"><FieldRef "
        "field=\"b\"/></DerivedField>\n"
        "<DerivedField name=\"b\" optype=\"continuous\" dataType=\"double\"><FieldRef "
        "field=\"a\"/></DerivedField>\n"
        "</LocalTransformations>\n";
    auto msg = load_error<invalid_value_error>(
        document(dict, regression(lt, "<NumericPredictor name=\"a\" coefficient=\"1\"/>")));
    CHECK_THAT(msg, Catch::Contains("cycle"));
}

TEST_CASE("a recursive function is refused", "[pmml]") {
    auto text =
        document(dict,
                 "<TransformationDictionary><DefineFunction name=\"f\" dataType=\"double\">"
                 "<ParameterField name=\"p\"/><Apply function=\"f\"><FieldRef field=\"p\"/></Apply>"
                 "</DefineFunction>"
                 "<DerivedField name=\"d\" optype=\"continuous\" dataType=\"double\"><Apply function=\"f\">"
                 "<FieldRef field=\"x\"/></Apply></DerivedField></TransformationDictionary>\n" +
                     regression("", "<NumericPredictor name=\"d\" coefficient=\"1\"/>"));
    CHECK_THAT(load_error<invalid_value_error>(text), Catch::Contains("recursion"));
}

TEST_CASE("a tree nested deeper than the limit is refused without crashing", "[pmml]") {
    std::string nodes;
    const int depth = 20000;
    for (int i = 0; i < depth; ++i)
        nodes += "<Node score=\"1\"><SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"0\"/>";
    for (int i = 0; i < depth; ++i) nodes += "</Node>";
    auto text = document(
        dict,
        "<TreeModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/></MiningSchema>"
        "<Node score=\"0\"><True/>" +
            nodes + "</Node></TreeModel>\n");
    CHECK_THAT(load_error<invalid_value_error>(text), Catch::Contains("deeper than"));
}

TEST_CASE("deeply nested expressions are refused without crashing", "[pmml]") {
    std::string open, close;
    for (int i = 0; i < 5000; ++i) {
        open += "<Apply function=\"abs\">";
        close += "</Apply>";
    }
    auto lt = "<LocalTransformations><DerivedField name=\"d\" optype=\"continuous\" dataType=\"double\">" +
              open + "<FieldRef field=\"x\"/>" + close + "</DerivedField></LocalTransformations>";
    CHECK_THAT(load_error<invalid_value_error>(
                   document(dict, regression(lt, "<NumericPredictor name=\"d\" coefficient=\"1\"/>"))),
               Catch::Contains("deeper than"));
}

TEST_CASE("chains of derived fields and of functions are refused without crashing", "[pmml]") {
    // Each field or function is one level deep by itself; the chain is what nests (thousands of
    // levels overflowed the stack while compiling).
    std::string fields =
        "<DerivedField name=\"d0\" optype=\"continuous\" dataType=\"double\"><FieldRef field=\"x\"/>"
        "</DerivedField>\n";
    const int chain = 5000;
    for (int i = 1; i <= chain; ++i)
        fields += "<DerivedField name=\"d" + std::to_string(i) +
                  "\" optype=\"continuous\" dataType=\"double\"><Apply function=\"+\"><FieldRef field=\"d" +
                  std::to_string(i - 1) + "\"/><Constant>1</Constant></Apply></DerivedField>\n";
    auto text = document(dict, "<TransformationDictionary>" + fields + "</TransformationDictionary>\n" +
                                   regression("", "<NumericPredictor name=\"d" + std::to_string(chain) +
                                                      "\" coefficient=\"1\"/>"));
    CHECK_THAT(load_error<invalid_value_error>(text),
               Catch::Contains("nested deeper than 400 (through the derived fields and functions they use)"));

    auto functions = [](int n, int calls_each) {
        std::string f =
            "<DefineFunction name=\"f0\" dataType=\"double\"><ParameterField name=\"p\"/>"
            "<FieldRef field=\"p\"/></DefineFunction>\n";
        for (int i = 1; i <= n; ++i) {
            std::string call =
                "<Apply function=\"f" + std::to_string(i - 1) + "\"><FieldRef field=\"p\"/></Apply>";
            std::string body = call;
            for (int k = 1; k < calls_each; ++k) body = "<Apply function=\"+\">" + body + call + "</Apply>";
            f += "<DefineFunction name=\"f" + std::to_string(i) +
                 "\" dataType=\"double\"><ParameterField name=\"p\"/>" + body + "</DefineFunction>\n";
        }
        return document(dict, "<TransformationDictionary>" + f +
                                  "<DerivedField name=\"d\" optype=\"continuous\" dataType=\"double\">"
                                  "<Apply function=\"f" +
                                  std::to_string(n) +
                                  "\"><FieldRef field=\"x\"/></Apply></DerivedField>"
                                  "</TransformationDictionary>\n" +
                                  regression("", "<NumericPredictor name=\"d\" coefficient=\"1\"/>"));
    };
    // 64 functions deep load and score; 65 are refused at load, not record by record.
    auto m = pmml::load(functions(63, 1));
    auto p = pmml_test::score(*m, {{"x", 2.0}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == 3.0);
    CHECK_THAT(load_error<invalid_value_error>(functions(64, 1)),
               Catch::Contains("calls functions 65 deep (at most 64)"));
    // Each function calling the one before twice: 2^n calls a record. 2^19 load, 2^20 do not.
    m = pmml::load(functions(18, 2));
    p = pmml_test::score(*m, {{"x", 1.0}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == 262145.0);  // 2^18 + 1
    CHECK_THAT(load_error<invalid_value_error>(functions(20, 2)),
               Catch::Contains("calls of functions a record (at most 1000000"));
}

TEST_CASE("derived fields compiled apart but computed as one chain fail the record, not the stack",
          "[pmml]") {
    // Twelve chains of 150 fields, each chain starting from the end of the one before. Each is
    // compiled on its own (through an `if` that also names the previous chain's end), so loading
    // sees no deep nesting; a record whose `if`s skip them computes all 1,800 links at once.
    const int chains = 12, length = 150;
    auto name = [](int c, int i) { return "c" + std::to_string(c) + "_" + std::to_string(i); };
    std::string fields, predictors;
    for (int c = 0; c < chains; ++c)
        for (int i = 0; i < length; ++i)
            fields +=
                "<DerivedField name=\"" + name(c, i) +
                "\" optype=\"continuous\" dataType=\"double\"><Apply function=\"+\"><FieldRef field=\"" +
                (i > 0   ? name(c, i - 1)
                 : c > 0 ? name(c - 1, length - 1)
                         : std::string("x")) +
                "\"/><Constant>1</Constant></Apply></DerivedField>\n";
    for (int c = 0; c + 1 < chains; ++c) {
        fields += "<DerivedField name=\"p" + std::to_string(c) +
                  "\" optype=\"continuous\" dataType=\"double\"><Apply function=\"if\"><Apply "
                  "function=\"greaterThan\">"
                  "<FieldRef field=\"x\"/><Constant>100</Constant></Apply><FieldRef field=\"" +
                  name(c, length - 1) + "\"/><Constant>0</Constant></Apply></DerivedField>\n";
        predictors += "<NumericPredictor name=\"p" + std::to_string(c) + "\" coefficient=\"1\"/>";
    }
    predictors += "<NumericPredictor name=\"" + name(chains - 1, length - 1) + "\" coefficient=\"1\"/>";
    auto m = pmml::load(document(dict, "<TransformationDictionary>" + fields +
                                           "</TransformationDictionary>\n" + regression("", predictors)));
    auto p = pmml_test::score(*m, {{"x", 1.0}});
    CHECK_THAT(p.error, Catch::Contains("needs derived fields more than 1000 deep"));
    // Where the ifs compute each chain in turn, no computation is deeper than one chain.
    p = pmml_test::score(*m, {{"x", 200.0}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == 1 + 200.0 * 12 + 150.0 * (1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12));
}

TEST_CASE("names that point nowhere, duplicates and unknown enumerations are refused", "[pmml]") {
    // A target or other MiningField of the top model outside the DataDictionary.
    auto with_schema = [](const std::string& fields) {
        return document(dict, "<RegressionModel functionName=\"regression\"><MiningSchema>" + fields +
                                  "</MiningSchema><RegressionTable intercept=\"1\"/></RegressionModel>\n");
    };
    CHECK_THAT(load_error<invalid_value_error>(with_schema(
                   "<MiningField name=\"x\"/><MiningField name=\"nosuch\" usageType=\"target\"/>")),
               Catch::Contains("MiningField 'nosuch' is not in the DataDictionary"));
    CHECK_THAT(load_error<invalid_value_error>(with_schema(
                   "<MiningField name=\"x\"/><MiningField name=\"w\" usageType=\"supplementary\"/>")),
               Catch::Contains("MiningField 'w' is not in the DataDictionary"));
    // OutputFields: a name twice in one Output, a targetField that is no field.
    CHECK_THAT(load_error<invalid_value_error>(
                   document(dict, regression("<Output><OutputField name=\"o\"/><OutputField name=\"o\" "
                                             "feature=\"predictedValue\"/></Output>\n"))),
               Catch::Contains("OutputField 'o' is defined twice"));
    CHECK_THAT(load_error<invalid_value_error>(document(
                   dict, regression("<Output><OutputField name=\"o\" targetField=\"nosuch\"/></Output>\n"))),
               Catch::Contains("targetField 'nosuch' is not a field of the DataDictionary"));
    CHECK(pmml_test::error_text(
              document(dict, regression("<Output><OutputField name=\"o\" targetField=\"y\"/></Output>\n"))) ==
          "no error");
    // A probability of a class the target does not list.
    const std::string listed = dict +
                               "<DataField name=\"t\" optype=\"categorical\" dataType=\"string\">"
                               "<Value value=\"yes\"/><Value value=\"no\"/></DataField>\n";
    auto probability_of = [&](const std::string& value) {
        return document(listed,
                        "<RegressionModel functionName=\"classification\"><MiningSchema><MiningField "
                        "name=\"x\"/><MiningField name=\"t\" usageType=\"predicted\"/></MiningSchema>"
                        "<Output><OutputField name=\"p\" feature=\"probability\" value=\"" +
                            value +
                            "\"/></Output><RegressionTable intercept=\"1\" targetCategory=\"yes\"/>"
                            "<RegressionTable intercept=\"0\" targetCategory=\"no\"/></RegressionModel>\n");
    };
    CHECK_THAT(load_error<invalid_value_error>(probability_of("zzz")),
               Catch::Contains("value 'zzz' is not a category of the target 't'"));
    CHECK(pmml_test::error_text(probability_of("no")) == "no error");
    // A classification with two tables for one category (and none for the other).
    const std::string classes = dict +
                                "<DataField name=\"t\" optype=\"categorical\" dataType=\"string\">"
                                "<Value value=\"yes\"/><Value value=\"no\"/></DataField>\n";
    CHECK_THAT(load_error<invalid_value_error>(document(
                   classes,
                   "<RegressionModel functionName=\"classification\"><MiningSchema><MiningField name=\"x\"/>"
                   "<MiningField name=\"t\" usageType=\"predicted\"/></MiningSchema>"
                   "<RegressionTable intercept=\"1\" targetCategory=\"yes\"/>\n"
                   "<RegressionTable intercept=\"0\" targetCategory=\"yes\"/></RegressionModel>\n")),
               Catch::Contains("line 10: a second RegressionTable for targetCategory 'yes'"));
    // A Discretize bin's closure is one of the four.
    CHECK_THAT(
        load_error<invalid_value_error>(document(
            dict, regression("<LocalTransformations><DerivedField name=\"d\" optype=\"continuous\" "
                             "dataType=\"double\"><Discretize field=\"x\"><DiscretizeBin binValue=\"1\">"
                             "<Interval closure=\"bogus\" leftMargin=\"0\"/></DiscretizeBin></Discretize>"
                             "</DerivedField></LocalTransformations>\n",
                             "<NumericPredictor name=\"d\" coefficient=\"1\"/>"))),
        Catch::Contains("unknown closure 'bogus'"));
    // A Discretize bin or MapValues output that is no value of the dataType; a column no row has.
    auto derived = [&](const std::string& expr) {
        return document(dict,
                        regression("<LocalTransformations><DerivedField name=\"d\" optype=\"continuous\" "
                                   "dataType=\"double\">" +
                                       expr + "</DerivedField></LocalTransformations>\n",
                                   "<NumericPredictor name=\"d\" coefficient=\"1\"/>"));
    };
    CHECK_THAT(load_error<invalid_value_error>(derived(
                   "<Discretize field=\"x\" dataType=\"double\"><DiscretizeBin binValue=\"seven\"><Interval "
                   "closure=\"openOpen\" leftMargin=\"0\"/></DiscretizeBin></Discretize>")),
               Catch::Contains("binValue 'seven' is not a double"));
    const std::string map =
        "<MapValues outputColumn=\"out\" dataType=\"double\"><FieldColumnPair field=\"x\" "
        "column=\"in\"/><InlineTable><row><in>1</in><out>OUT</out></row><row><in>2</in></row>"
        "</InlineTable></MapValues>";
    auto with_out = [&](const std::string& out) {
        std::string m = map;
        m.replace(m.find("<out>OUT</out>"), 14, out);
        return derived(m);
    };
    CHECK_THAT(load_error<invalid_value_error>(with_out("<out>ten</out>")),
               Catch::Contains("<out> at line") && Catch::Contains("'ten' is not a double"));
    CHECK_THAT(load_error<invalid_value_error>(with_out("<output>10</output>")),
               Catch::Contains("no row of the InlineTable has the column 'out'"));
    CHECK(pmml_test::error_text(with_out("<out>10</out>")) == "no error");  // the second row maps nothing
}

TEST_CASE("a namespace must be a PMML version's; Taxonomy and cyclic fields are refused", "[pmml]") {
    const std::string body = regression("");
    auto with_root = [&](const std::string& open, const std::string& close) {
        return "<?xml version=\"1.0\"?>\n" + open + "\n<DataDictionary>" + dict + "</DataDictionary>\n" +
               body + close + "\n";
    };
    CHECK_THAT(load_error<parse_error>(with_root(
                   "<PMML version=\"4.4\" xmlns=\"http://www.dmg.org/PMML-9_9_bogus\">", "</PMML>")),
               Catch::Contains("namespace 'http://www.dmg.org/PMML-9_9_bogus' is not a PMML namespace"));
    CHECK_THAT(load_error<parse_error>(
                   with_root("<p:PMML version=\"4.4\" xmlns:p=\"http://example.com/other\">", "</p:PMML>")),
               Catch::Contains("namespace 'http://example.com/other' is not a PMML namespace"));
    CHECK_THAT(load_error<parse_error>(with_root("<p:PMML version=\"4.4\">", "</p:PMML>")),
               Catch::Contains("the prefix of <p:PMML> has no namespace"));
    // A prefixed root in the PMML namespace, and another version's namespace (producers write
    // 3.1's on version 3.2 documents), load.
    CHECK(pmml_test::error_text(with_root("<p:PMML version=\"4.4\" xmlns:p=\"http://www.dmg.org/PMML-4_4\">",
                                          "</p:PMML>")) == "no error");
    CHECK(pmml_test::error_text(with_root("<PMML version=\"3.2\" xmlns=\"http://www.dmg.org/PMML-3_1\">",
                                          "</PMML>")) == "no error");

    CHECK_THAT(
        load_error<unsupported_error>(document(
            dict + "<Taxonomy name=\"t\"><ChildParent childField=\"c\" parentField=\"p\"/></Taxonomy>\n",
            body)),
        Catch::Contains("<Taxonomy> at line") && Catch::Contains("Taxonomy is not supported"));
    CHECK_THAT(load_error<unsupported_error>(document(
                   "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\" isCyclic=\"1\"/>\n"
                   "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n",
                   body)),
               Catch::Contains("isCyclic=\"1\" is not supported"));
}

TEST_CASE("inconsistent bounds, counts and probabilities are refused where they are written", "[pmml]") {
    CHECK_THAT(load_error<invalid_value_error>(document(
                   dict, regression("<Targets><Target field=\"y\" min=\"10\" max=\"-10\"/></Targets>\n"))),
               Catch::Contains("<Target> at line") && Catch::Contains("min is above max"));
    CHECK_THAT(load_error<invalid_value_error>(document(
                   dict,
                   "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\" "
                   "outliers=\"asExtremeValues\" lowValue=\"10\" highValue=\"-10\"/><MiningField "
                   "name=\"y\" usageType=\"predicted\"/></MiningSchema><RegressionTable intercept=\"1\"/>"
                   "</RegressionModel>\n")),
               Catch::Contains("lowValue is above highValue"));
    const std::string classes = dict +
                                "<DataField name=\"t\" optype=\"categorical\" dataType=\"string\">"
                                "<Value value=\"a\"/><Value value=\"b\"/></DataField>\n";
    auto tree = [&](const std::string& dist, const std::string& root_attrs = "",
                    const std::string& tree_attrs = "") {
        return document(classes,
                        "<TreeModel functionName=\"classification\"" + tree_attrs +
                            "><MiningSchema><MiningField name=\"x\"/><MiningField name=\"t\" "
                            "usageType=\"predicted\"/></MiningSchema>\n<Node score=\"a\"" +
                            root_attrs + "><True/>" + dist +
                            "\n<Node id=\"l\" score=\"a\"><SimplePredicate field=\"x\" operator=\"lessThan\" "
                            "value=\"0\"/></Node><Node id=\"r\" score=\"b\"><True/></Node></Node>"
                            "</TreeModel>\n");
    };
    CHECK_THAT(
        load_error<invalid_value_error>(
            tree("<ScoreDistribution value=\"a\" recordCount=\"-5\"/><ScoreDistribution value=\"b\" "
                 "recordCount=\"5\"/>")),
        Catch::Contains("<ScoreDistribution> at line") && Catch::Contains("recordCount '-5' is not a count"));
    CHECK_THAT(load_error<invalid_value_error>(tree("<ScoreDistribution value=\"a\" recordCount=\"NaN\"/>")),
               Catch::Contains("recordCount 'NaN' is not a count"));
    CHECK_THAT(load_error<invalid_value_error>(
                   tree("<ScoreDistribution value=\"a\" recordCount=\"1\" probability=\"7\"/>")),
               Catch::Contains("probability '7' is not between 0 and 1"));
    CHECK(pmml_test::error_text(tree("<ScoreDistribution value=\"a\" recordCount=\"0\" probability=\"0\" "
                                     "confidence=\"1\"/>")) == "no error");
    // A defaultChild that names none of the Node's children: said at that Node's line.
    CHECK_THAT(load_error<invalid_value_error>(
                   tree("", " defaultChild=\"nosuch\"", " missingValueStrategy=\"defaultChild\"")),
               Catch::Contains(
                   "<Node> at line 10: defaultChild 'nosuch' is not the id of one of this Node's children"));
    // Numbers beyond a double's range, integers beyond 1e15.
    CHECK_THAT(load_error<invalid_value_error>(
                   document(dict, regression("", "<NumericPredictor name=\"x\" coefficient=\"1e400\"/>"))),
               Catch::Contains("attribute 'coefficient' = '1e400' is beyond the range of a double"));
    CHECK_THAT(load_error<invalid_value_error>(
                   document(dict, regression("", "<NumericPredictor name=\"x\" coefficient=\"1x\"/>"))),
               Catch::Contains("attribute 'coefficient' = '1x' is not a number"));
}

TEST_CASE("lines end at \\n, \\r\\n or a lone \\r in the lines errors name", "[pmml]") {
    for (const std::string eol : {"\n", "\r\n", "\r"}) {
        std::string text =
            document(dict, regression("", "<NumericPredictor name=\"nosuch\" coefficient=\"1\"/>"));
        std::string converted;
        for (char ch : text) converted += ch == '\n' ? eol : std::string(1, ch);
        CHECK_THAT(load_error<invalid_value_error>(converted),
                   Catch::Contains("at line 13: reference to undefined field 'nosuch'"));
    }
}

TEST_CASE("an element a model may not hold is refused, not passed over", "[pmml]") {
    CHECK_THAT(load_error<unsupported_error>(document(dict, regression("<FooBar/>\n"))),
               Catch::Contains("<FooBar> at line 13: <FooBar> is not an element of <RegressionModel>"));
    CHECK_THAT(load_error<unsupported_error>(
                   document(dict, regression("<Segmentation multipleModelMethod=\"sum\"/>\n"))),
               Catch::Contains("<Segmentation> is not an element of <RegressionModel>"));
    // What every model may hold (statistics, explanations, extensions) loads.
    CHECK(pmml_test::error_text(
              document(dict, regression("<Extension name=\"e\"><Anything/></Extension><ModelStats/>"
                                        "<ModelExplanation/>\n"))) == "no error");
}

TEST_CASE("bad attribute values are invalid_value_error", "[pmml]") {
    CHECK_THAT(load_error<invalid_value_error>(
                   document(dict, regression("", "<NumericPredictor name=\"x\" coefficient=\"abc\"/>"))),
               Catch::Contains("coefficient"));
    auto arr = document(
        dict,
        "<TreeModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/></MiningSchema>"
        "<Node score=\"0\"><True/><Node score=\"1\"><SimpleSetPredicate field=\"x\" booleanOperator=\"isIn\">"
        "<Array n=\"99999999\" type=\"real\">1 2 3</Array></SimpleSetPredicate></Node></Node></TreeModel>\n");
    CHECK_THAT(load_error<invalid_value_error>(arr), Catch::Contains("Array n=99999999"));
    CHECK_THAT(load_error<parse_error>(document(dict, "<RegressionModel functionName=\"regression\"/>")),
               Catch::Contains("MiningSchema"));
}
