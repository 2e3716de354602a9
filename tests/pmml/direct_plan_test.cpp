// The direct plan: a document whose top model is a single tree in flat form or a classifier giving
// its probabilities as they are (RegressionModel) writes its prediction and outputs without a
// model result. Each test scores the same records with the document as it is and with one more
// OutputField, a constant transformedValue, which the direct plan does not cover, so that document
// takes the general path: the prediction, every other output and every error must be identical,
// bit for bit.

#include "corpus_rows.hpp"
#include "pmml_test_util.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

using namespace scorestream;
using pmml_test::document;
using pmml_test::read_text;
using pmml_test::same;

namespace {

/// `text` with a constant transformedValue appended to the first Output (or a new Output after the
/// first MiningSchema).
std::string general_twin(std::string text) {
    const std::string field =
        "<OutputField name=\"general_path\" feature=\"transformedValue\" dataType=\"double\" "
        "optype=\"continuous\"><Constant dataType=\"double\">0</Constant></OutputField>";
    auto at = text.find("</Output>");
    if (at != std::string::npos) {
        text.insert(at, field);
        return text;
    }
    at = text.find("</MiningSchema>");
    REQUIRE(at != std::string::npos);
    text.insert(at + std::strlen("</MiningSchema>"), "<Output>" + field + "</Output>");
    return text;
}

struct Counts {
    int records = 0, predicted = 0, errors = 0;
};

/// Scores every row with both documents and requires identical results (the first document's
/// outputs are the first ones of the second); counts what was seen.
Counts compare(const std::string& text, const std::string& twin,
               const std::vector<std::vector<Value>>& rows) {
    auto direct = pmml::load(text);
    auto general = pmml::load(twin);
    const std::size_t n = direct->schema().outputs.size();
    REQUIRE(general->schema().outputs.size() >= n);
    REQUIRE(direct->schema().inputs == general->schema().inputs);
    Counts counts;
    Prediction a, b;
    for (const auto& row : rows) {
        direct->score(FeatureRow(row.data(), row.size()), a);
        general->score(FeatureRow(row.data(), row.size()), b);
        ++counts.records;
        counts.predicted += a.value.is_missing() ? 0 : 1;
        counts.errors += a.ok() ? 0 : 1;
        pmml_test::require_same_result(*direct, row, a, b, n);
    }
    return counts;
}

/// compare() against the document's general twin.
Counts compare(const std::string& text, const std::vector<std::vector<Value>>& rows) {
    return compare(text, general_twin(text), rows);
}

/// Every combination of the given values per input (inputs named in `values`, in the model's order).
std::vector<std::vector<Value>> grid(const pmml::PmmlModel& m,
                                     const std::vector<std::pair<std::string, std::vector<Value>>>& values) {
    std::vector<std::vector<Value>> rows(1, std::vector<Value>(m.schema().inputs.size()));
    for (const auto& [name, options] : values) {
        std::size_t at = 0;
        while (at < m.schema().inputs.size() && m.schema().inputs[at] != name) ++at;
        REQUIRE(at < m.schema().inputs.size());
        std::vector<std::vector<Value>> next;
        for (const auto& row : rows)
            for (const auto& v : options) {
                next.push_back(row);
                next.back()[at] = v;
            }
        rows = std::move(next);
    }
    return rows;
}

}  // namespace

TEST_CASE("direct plan: single trees and regressions of the corpus agree with the general path", "[pmml]") {
    const std::string dir = SCORESTREAM_PMML_CONFORMANCE_DIR;
    if (!pmml_test::have_corpus(dir)) return;
    // Every case whose document is one TreeModel or RegressionModel.
    const auto cases = pmml_test::corpus_cases(
        dir, [](const std::string& types) { return types == "TreeModel:1" || types == "RegressionModel:1"; });
    CHECK(cases.size() >= 19);
    // Small trees take the quick form (QuickTree), larger ones the walk: both are compared.
    int quick = 0, walked = 0;
    for (const auto& name : cases) {
        INFO("case " << name);
        const std::string text = read_text(dir + "/" + name + "/model.pmml");
        auto model = pmml::load(text);
        // The rows, then the first 150 again with each input in turn missing, an unlisted string
        // and a huge number (invalid values, unlisted categories, values outside intervals,
        // missing-value strategies).
        const auto table = pmml::tools::read_csv(dir + "/" + name + "/input.csv");
        const auto rows =
            pmml_test::corpus_rows(table, model->schema().inputs, 150,
                                   {Value::missing(), Value::string("not listed"), Value::number(1e300)});
        Counts counts = compare(text, rows);
        CHECK(counts.predicted > 0);
        CHECK(counts.records == static_cast<int>(rows.size()));
        const std::string& plan = model->describe().plan;
        if (plan.find("direct (tree)") == 0)
            ++(plan.find("tested at once") != std::string::npos ? quick : walked);
    }
    CHECK(quick >= 4);
    CHECK(walked >= 1);
}

namespace {

const std::string tree_dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"><Interval closure=\"closedClosed\" "
    "leftMargin=\"0\" rightMargin=\"100\"/></DataField>\n"
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"p\"/><Value "
    "value=\"q\"/><Value value=\"r\"/></DataField>\n"
    "<DataField name=\"y\" optype=\"categorical\" dataType=\"integer\"><Value value=\"1\" "
    "displayValue=\"one\"/><Value value=\"2\" displayValue=\"two\"/><Value value=\"3\"/></DataField>\n"
    "<DataField name=\"v\" optype=\"continuous\" dataType=\"double\"/>\n";

std::string leaf(const char* id, const char* score, const std::string& pred, const char* dist) {
    return std::string("<Node id=\"") + id + "\"" + (*score ? std::string(" score=\"") + score + "\"" : "") +
           ">" + pred + dist + "</Node>";
}

std::string tree_doc(bool regression, const std::string& invalid, const std::string& outputs,
                     const std::string& targets) {
    auto dist = [&](int a, int b, int c) {
        if (regression) return std::string();
        auto one = [](int v, int n, const char* conf) {
            return "<ScoreDistribution value=\"" + std::to_string(v) + "\" recordCount=\"" +
                   std::to_string(n) + "\"" + conf + "/>";
        };
        return one(1, a, "") + one(2, b, " confidence=\"0.3\"") + one(3, c, "");
    };
    std::string x_le = "<SimplePredicate field=\"x\" operator=\"lessOrEqual\" value=\"10\"/>";
    std::string x_gt = "<SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"10\"/>";
    std::string c_in =
        "<SimpleSetPredicate field=\"c\" booleanOperator=\"isIn\"><Array type=\"string\">p "
        "q</Array></SimpleSetPredicate>";
    std::string c_out =
        "<SimpleSetPredicate field=\"c\" booleanOperator=\"isNotIn\"><Array "
        "type=\"string\">p q</Array></SimpleSetPredicate>";
    // n4 has no score: a record ending there has no prediction (Targets may give one).
    std::string n3 = leaf("n3", regression ? "1.25" : "1", c_in, dist(8, 1, 1).c_str());
    std::string n4 = leaf("n4", "", c_out, dist(0, 0, 0).c_str());
    std::string n1 = std::string("<Node id=\"n1\" score=\"") + (regression ? "2.5" : "2") + "\">" + x_le +
                     dist(8, 3, 1) + n3 + n4 + "</Node>";
    std::string n2 = leaf("n2", regression ? "-7.75" : "3", x_gt, dist(1, 2, 9).c_str());
    std::string root = std::string("<Node id=\"root\" score=\"") + (regression ? "0" : "1") + "\"><True/>" +
                       dist(9, 5, 10) + n1 + n2 + "</Node>";
    return document(
        tree_dict,
        std::string("<TreeModel functionName=\"") + (regression ? "regression" : "classification") +
            "\" missingValueStrategy=\"defaultChild\" noTrueChildStrategy=\"returnLastPrediction\">"
            "<MiningSchema><MiningField name=\"x\" invalidValueTreatment=\"" +
            invalid + "\"/><MiningField name=\"c\"/><MiningField name=\"" + (regression ? "v" : "y") +
            "\" usageType=\"predicted\"/></MiningSchema>" + outputs + targets + root + "</TreeModel>\n");
}

const std::vector<Value> xs = {Value::missing(),    Value::number(3),     Value::number(10),
                               Value::number(10.5), Value::number(150),   Value::number(-1),
                               Value::string("7"),  Value::string("abc"), Value::number(100)};
const std::vector<Value> cs = {Value::missing(),   Value::string("p"), Value::string("q"),
                               Value::string("r"), Value::string("s"), Value::number(1)};

}  // namespace

TEST_CASE("direct plan: classification trees, every output feature, Targets and invalid inputs", "[pmml]") {
    const std::string outputs =
        "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/>"
        "<OutputField name=\"pred_s\" feature=\"predictedValue\" dataType=\"string\"/>"
        "<OutputField name=\"pred_d\" feature=\"predictedValue\" dataType=\"double\"/>"
        "<OutputField name=\"pred_i\" feature=\"predictedValue\" dataType=\"integer\"/>"
        "<OutputField name=\"shown\" feature=\"predictedDisplayValue\"/>"
        "<OutputField name=\"p1\" feature=\"probability\" value=\"1\"/>"
        "<OutputField name=\"p2\" feature=\"probability\" value=\"2\" dataType=\"double\"/>"
        "<OutputField name=\"p3s\" feature=\"probability\" value=\"3\" dataType=\"string\"/>"
        "<OutputField name=\"p\" feature=\"probability\"/>"
        "<OutputField name=\"conf\" feature=\"confidence\"/>"
        "<OutputField name=\"conf2\" feature=\"confidence\" value=\"2\"/>"
        "<OutputField name=\"id\" feature=\"entityId\"/></Output>";
    const std::string priors =
        "<Targets><Target field=\"y\"><TargetValue value=\"1\" priorProbability=\"0.2\"/>"
        "<TargetValue value=\"2\" priorProbability=\"0.5\"/><TargetValue value=\"3\" "
        "priorProbability=\"0.3\"/></Target></Targets>";
    for (const char* invalid : {"returnInvalid", "asIs", "asMissing"})
        for (const std::string& targets : {std::string(), priors}) {
            INFO("invalidValueTreatment " << invalid << (targets.empty() ? "" : ", priors"));
            std::string text = tree_doc(false, invalid, outputs, targets);
            auto m = pmml::load(text);
            CHECK(m->describe().plan == "direct (tree); flat form (5 nodes), its 2 splits tested at once");
            Counts counts = compare(text, grid(*m, {{"x", xs}, {"c", cs}}));
            CHECK(counts.predicted > 0);
            if (std::string(invalid) == "returnInvalid") CHECK(counts.errors > 0);
        }
}

TEST_CASE("direct plan: regression trees with Targets (rescale, clamp, cast, default)", "[pmml]") {
    const std::string outputs =
        "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/>"
        "<OutputField name=\"pred_d\" feature=\"predictedValue\" dataType=\"double\"/>"
        "<OutputField name=\"pred_s\" feature=\"predictedValue\" dataType=\"string\"/>"
        "<OutputField name=\"pred_i\" feature=\"predictedValue\" dataType=\"integer\"/>"
        "<OutputField name=\"id\" feature=\"entityId\"/></Output>";
    for (const char* target :
         {"", "<Target field=\"v\" rescaleFactor=\"3\" rescaleConstant=\"0.5\"/>",
          "<Target field=\"v\" min=\"0\" max=\"2\" castInteger=\"round\"/>",
          "<Target field=\"v\" castInteger=\"floor\"><TargetValue defaultValue=\"42\"/></Target>"}) {
        INFO("target " << target);
        std::string targets = *target ? std::string("<Targets>") + target + "</Targets>" : "";
        std::string text = tree_doc(true, "asIs", outputs, targets);
        auto m = pmml::load(text);
        Counts counts = compare(text, grid(*m, {{"x", xs}, {"c", cs}}));
        CHECK(counts.predicted > 0);
    }
}

namespace {

/// The normalizations that turn one score into a probability (logit to cauchit): a target of more
/// than two categories takes them only when it is ordinal (cumulative probabilities).
bool one_score(const std::string& norm) {
    return norm == "logit" || norm == "probit" || norm == "cloglog" || norm == "loglog" || norm == "cauchit";
}

std::string regression_doc(const char* norm, bool in_order, const std::string& outputs,
                           const std::string& targets) {
    const std::string dict =
        "<DataField name=\"a\" optype=\"continuous\" dataType=\"double\"/>\n"
        "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"p\"/><Value "
        "value=\"q\"/></DataField>\n"
        "<DataField name=\"y\" optype=\"" +
        std::string(one_score(norm) ? "ordinal" : "categorical") +
        "\" dataType=\"string\"><Value value=\"lo\" "
        "displayValue=\"Low\"/><Value value=\"mid\"/><Value value=\"hi\"/></DataField>\n";
    auto table = [](const char* cat, const char* intercept, const char* coef, const char* p) {
        return std::string("<RegressionTable targetCategory=\"") + cat + "\" intercept=\"" + intercept +
               "\"><NumericPredictor name=\"a\" coefficient=\"" + coef +
               "\"/><CategoricalPredictor name=\"c\" value=\"p\" coefficient=\"" + p +
               "\"/></RegressionTable>";
    };
    std::string lo = table("lo", "0.5", "-0.75", "0.25"), mid = table("mid", "-0.125", "0.5", "-1.5"),
                hi = table("hi", "0", "0", "0");
    return document(
        dict, std::string("<RegressionModel functionName=\"classification\" normalizationMethod=\"") + norm +
                  "\"><MiningSchema><MiningField name=\"a\"/><MiningField name=\"c\" "
                  "invalidValueTreatment=\"asIs\"/><MiningField name=\"y\" "
                  "usageType=\"predicted\"/></MiningSchema>" +
                  outputs + targets + (in_order ? lo + mid + hi : mid + hi + lo) + "</RegressionModel>\n");
}

}  // namespace

TEST_CASE("direct plan: classification regressions under every normalization", "[pmml]") {
    const std::string plain =
        "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/>"
        "<OutputField name=\"p_lo\" feature=\"probability\" value=\"lo\"/>"
        "<OutputField name=\"p_mid\" feature=\"probability\" value=\"mid\" dataType=\"double\"/>"
        "<OutputField name=\"p\" feature=\"probability\"/>"
        "<OutputField name=\"conf\" feature=\"confidence\"/>"
        "<OutputField name=\"conf_hi\" feature=\"confidence\" value=\"hi\"/>"
        "<OutputField name=\"pred_s\" feature=\"predictedValue\" dataType=\"string\"/></Output>";
    // Outputs the direct plan leaves to the general path (conversions, display values).
    const std::string converted =
        "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/>"
        "<OutputField name=\"shown\" feature=\"predictedDisplayValue\"/>"
        "<OutputField name=\"p_hi\" feature=\"probability\" value=\"hi\" dataType=\"string\"/></Output>";
    const std::string priors =
        "<Targets><Target field=\"y\"><TargetValue value=\"lo\" priorProbability=\"0.25\"/>"
        "<TargetValue value=\"mid\" priorProbability=\"0.5\"/><TargetValue value=\"hi\" "
        "priorProbability=\"0.25\"/></Target></Targets>";
    // The usual layout (the predicted value, then every category's probability in order), written
    // without the per-output loop, and near misses of it, which take the loop.
    const std::string usual =
        "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/>"
        "<OutputField name=\"p_lo\" feature=\"probability\" value=\"lo\"/>"
        "<OutputField name=\"p_mid\" feature=\"probability\" value=\"mid\"/>"
        "<OutputField name=\"p_hi\" feature=\"probability\" value=\"hi\"/></Output>";
    const std::string swapped =
        "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/>"
        "<OutputField name=\"p_lo\" feature=\"probability\" value=\"lo\"/>"
        "<OutputField name=\"p_hi\" feature=\"probability\" value=\"hi\"/>"
        "<OutputField name=\"p_mid\" feature=\"probability\" value=\"mid\"/></Output>";
    const std::string short_of_one =
        "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/>"
        "<OutputField name=\"p_lo\" feature=\"probability\" value=\"lo\"/>"
        "<OutputField name=\"p_mid\" feature=\"probability\" value=\"mid\"/></Output>";
    const std::string last_first =
        "<Output><OutputField name=\"p_lo\" feature=\"probability\" value=\"lo\"/>"
        "<OutputField name=\"p_mid\" feature=\"probability\" value=\"mid\"/>"
        "<OutputField name=\"p_hi\" feature=\"probability\" value=\"hi\"/>"
        "<OutputField name=\"pred\" feature=\"predictedValue\"/></Output>";
    // The probabilities alone, in order (written without the loop too) and not all of them.
    const std::string probabilities =
        "<Output><OutputField name=\"p_lo\" feature=\"probability\" value=\"lo\"/>"
        "<OutputField name=\"p_mid\" feature=\"probability\" value=\"mid\"/>"
        "<OutputField name=\"p_hi\" feature=\"probability\" value=\"hi\"/></Output>";
    const std::string two_probabilities =
        "<Output><OutputField name=\"p_lo\" feature=\"probability\" value=\"lo\"/>"
        "<OutputField name=\"p_mid\" feature=\"probability\" value=\"mid\"/></Output>";
    // `a` has no interval: a typed number passes the fast load unless it is NaN.
    const std::vector<Value> as = {
        Value::missing(),     Value::number(-2),       Value::number(0),         Value::number(0.5),
        Value::number(3e2),   Value::number(-1e300),   Value::string("1.5"),     Value::string("x"),
        Value::number(1e300), Value::number(HUGE_VAL), Value::number(-HUGE_VAL), Value::number(std::nan(""))};
    const std::vector<Value> cats = {Value::missing(), Value::string("p"), Value::string("q"),
                                     Value::string("z")};
    // logit to cauchit over an ordinal target (three categories); exp gives no probabilities.
    CHECK_THAT(pmml_test::error_text(regression_doc("exp", true, plain, "")),
               Catch::Contains("normalizationMethod 'exp' gives no probabilities"));
    for (const char* norm :
         {"none", "softmax", "simplemax", "logit", "probit", "cloglog", "loglog", "cauchit"})
        for (bool in_order : {true, false})
            for (const std::string* outputs : {&plain, &converted, &usual, &swapped, &short_of_one,
                                               &last_first, &probabilities, &two_probabilities})
                for (const std::string& targets : {std::string(), priors}) {
                    INFO("normalization " << norm << (in_order ? "" : ", tables out of order")
                                          << (targets.empty() ? "" : ", priors"));
                    std::string text = regression_doc(norm, in_order, *outputs, targets);
                    auto m = pmml::load(text);
                    Counts counts = compare(text, grid(*m, {{"a", as}, {"c", cats}}));
                    CHECK(counts.predicted > 0);
                }
}

namespace {

/// `text` whose regression tables read the numeric input `a` through a derived copy, which is not a
/// mirrored input: its tables take the term-by-term sum instead of the dense one.
std::string through_derived(std::string text) {
    const std::string from = "<NumericPredictor name=\"a\"", to = "<NumericPredictor name=\"a_copy\"";
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    auto at = text.find("<RegressionModel");
    REQUIRE(at != std::string::npos);
    text.insert(at,
                "<TransformationDictionary><DerivedField name=\"a_copy\" optype=\"continuous\" "
                "dataType=\"double\"><FieldRef field=\"a\"/></DerivedField></TransformationDictionary>");
    return text;
}

}  // namespace

TEST_CASE("regression tables: the dense sum equals the term-by-term sum bit for bit", "[pmml]") {
    const std::string outputs =
        "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/>"
        "<OutputField name=\"p_lo\" feature=\"probability\" value=\"lo\"/>"
        "<OutputField name=\"p_mid\" feature=\"probability\" value=\"mid\"/></Output>";
    const std::vector<Value> as = {Value::missing(),       Value::number(-2),     Value::number(0.1),
                                   Value::number(3.7e2),   Value::number(-1e300), Value::number(1e-300),
                                   Value::number(1.0 / 3), Value::string("x"),    Value::number(7.25)};
    const std::vector<Value> cats = {Value::missing(), Value::string("p"), Value::string("q"),
                                     Value::string("z")};
    for (const char* norm : {"softmax", "logit", "simplemax", "none"})
        for (bool in_order : {true, false}) {
            INFO("classification, normalization " << norm);
            std::string text = regression_doc(norm, in_order, outputs, "");
            auto m = pmml::load(text);
            Counts counts = compare(text, through_derived(text), grid(*m, {{"a", as}, {"c", cats}}));
            CHECK(counts.predicted > 0);
        }
    const std::string dict =
        "<DataField name=\"a\" optype=\"continuous\" dataType=\"double\"/>\n"
        "<DataField name=\"b\" optype=\"continuous\" dataType=\"double\"/>\n"
        "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"p\"/><Value "
        "value=\"q\"/></DataField>\n"
        "<DataField name=\"v\" optype=\"continuous\" dataType=\"double\"/>\n";
    for (const char* norm : {"none", "exp", "logit"}) {
        INFO("regression, normalization " << norm);
        std::string text = document(
            dict, std::string("<RegressionModel functionName=\"regression\" normalizationMethod=\"") + norm +
                      "\"><MiningSchema><MiningField name=\"a\"/><MiningField name=\"b\"/><MiningField "
                      "name=\"c\"/><MiningField name=\"v\" usageType=\"predicted\"/></MiningSchema>"
                      "<RegressionTable intercept=\"0.3\"><NumericPredictor name=\"b\" coefficient=\"1.1\"/>"
                      "<NumericPredictor name=\"a\" coefficient=\"-0.7\"/><CategoricalPredictor name=\"c\" "
                      "value=\"q\" coefficient=\"0.9\"/><CategoricalPredictor name=\"c\" value=\"p\" "
                      "coefficient=\"-0.2\"/></RegressionTable></RegressionModel>\n");
        auto m = pmml::load(text);
        const std::vector<Value> bs = {Value::number(0.2), Value::number(-5e10), Value::missing()};
        Counts counts = compare(text, through_derived(text), grid(*m, {{"a", as}, {"b", bs}, {"c", cats}}));
        CHECK(counts.predicted > 0);
    }
}

TEST_CASE("regression tables: a value without a term leaves a sum of -0 as it is", "[pmml]") {
    // The grouped sum adds -0.0 for a category without a term (and for unlisted or missing ones),
    // which leaves every sum unchanged; the term loop (reached through a derived copy of c, which
    // is not grouped) adds nothing. Both must give -0 for "q" and "r", in double and in float
    // arithmetic (x-mathContext="float" sums in float32, its own copy of the grouped sum).
    const std::string dict =
        "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"p\"/><Value "
        "value=\"q\"/><Value value=\"r\"/></DataField>\n"
        "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";
    for (const char* math : {"", " x-mathContext=\"float\""}) {
        INFO((*math ? "float arithmetic" : "double arithmetic"));
        auto doc = [&](const char* field, const char* derived) {
            return document(dict,
                            std::string(derived) + "<RegressionModel functionName=\"regression\"" + math +
                                "><MiningSchema><MiningField "
                                "name=\"c\" invalidValueTreatment=\"asIs\"/><MiningField name=\"y\" "
                                "usageType=\"predicted\"/></MiningSchema><RegressionTable intercept=\"-0\">"
                                "<CategoricalPredictor name=\"" +
                                field +
                                "\" value=\"p\" coefficient=\"1.5\"/></RegressionTable></RegressionModel>\n");
        };
        const std::string grouped = doc("c", "");
        const std::string by_term =
            doc("c_copy",
                "<TransformationDictionary><DerivedField name=\"c_copy\" optype=\"categorical\" "
                "dataType=\"string\"><FieldRef field=\"c\"/></DerivedField></TransformationDictionary>");
        std::vector<std::vector<Value>> rows;
        for (const char* c : {"p", "q", "r", "unlisted"}) rows.push_back({Value::string(c)});
        rows.push_back({Value::missing()});
        Counts counts = compare(grouped, by_term, rows);
        CHECK(counts.predicted == 5);
        auto m = pmml::load(grouped);
        Prediction out;
        for (const char* c : {"q", "r", "unlisted"}) {
            INFO(c);
            const Value row[1] = {Value::string(c)};
            m->score(FeatureRow(row, 1), out);
            REQUIRE(out.value.is_number());
            CHECK(out.value.as_number() == 0.0);
            CHECK(std::signbit(out.value.as_number()));
        }
    }
}

namespace {

/// Texts of 1 to 40 bytes (0 is left out: an empty cell reads as missing).
std::vector<std::string> texts_of_every_length() {
    std::vector<std::string> texts;
    for (std::size_t n = 1; n <= 40; ++n) {
        std::string t;
        for (std::size_t k = 0; k < n; ++k) t += static_cast<char>('a' + (k * 7 + n) % 26);
        texts.push_back(t);
    }
    return texts;
}

/// Scores `text` (with a string input c and a number input x) twice per value of c: with x = 7, so
/// that the fast load reads the record, and with x = "7 " (the trailing blank is read by
/// parse_double only), so that the record takes the full load. Both must agree bit for bit;
/// returns what the first gave: whether it scored, and its prediction when that is a number.
struct Scored {
    bool ok;
    bool number;
    double x;
};
std::vector<Scored> fast_and_full(const std::string& text, const std::vector<Value>& cs) {
    auto m = pmml::load(text);
    const auto& inputs = m->schema().inputs;
    std::vector<Scored> out;
    for (const Value& c : cs) {
        INFO("c = " << to_string(c));
        std::vector<Value> fast(inputs.size()), full(inputs.size());
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            fast[i] = inputs[i] == "c" ? c : Value::number(7);
            full[i] = inputs[i] == "c" ? c : Value::string("7 ");
        }
        Prediction a, b;
        m->score(FeatureRow(fast.data(), fast.size()), a);
        m->score(FeatureRow(full.data(), full.size()), b);
        REQUIRE(a.error == b.error);
        REQUIRE(same(a.value, b.value));
        REQUIRE(a.outputs.size() == b.outputs.size());
        for (std::size_t i = 0; i < a.outputs.size(); ++i) REQUIRE(same(a.outputs[i], b.outputs[i]));
        out.push_back({a.ok(), a.value.is_number(), a.value.as_number()});
    }
    return out;
}

}  // namespace

TEST_CASE("string inputs: the fast load and the full load agree on texts of every length", "[pmml]") {
    const auto texts = texts_of_every_length();
    std::vector<Value> cs;
    for (const auto& t : texts) cs.push_back(Value::string(t));
    std::vector<std::string> misses;  // a byte changed at either end, one byte more
    for (const auto& t : texts) {
        misses.push_back(t + "x");
        misses.push_back(static_cast<char>(t[0] ^ 1) + t.substr(1));
        misses.push_back(t.substr(0, t.size() - 1) + static_cast<char>(t.back() ^ 1));
    }
    for (const auto& t : misses) cs.push_back(Value::string(t));
    cs.push_back(Value::missing());
    for (bool listed : {true, false}) {
        // Regression: the value of c picks its coefficient (k + 1 for the k-th text; an unlisted
        // string is invalid when c lists its values, and has no term otherwise). The texts of 30
        // bytes and more are named by the terms only: invalid when c lists its values.
        std::string values, terms;
        for (std::size_t k = 0; k < texts.size(); ++k) {
            if (k < 29) values += "<Value value=\"" + texts[k] + "\"/>";
            terms += "<CategoricalPredictor name=\"c\" value=\"" + texts[k] + "\" coefficient=\"" +
                     std::to_string(k + 1) + "\"/>";
        }
        const std::string dict =
            "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\">" + (listed ? values : "") +
            "</DataField>\n<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
            "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";
        std::string text = document(
            dict,
            "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"c\"/>"
            "<MiningField name=\"x\"/><MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema>"
            "<RegressionTable intercept=\"0.5\"><NumericPredictor name=\"x\" coefficient=\"1\"/>" +
                terms + "</RegressionTable></RegressionModel>\n");
        INFO((listed ? "listed values" : "no listed values"));
        auto p = fast_and_full(text, cs);
        for (std::size_t k = 0; k < texts.size(); ++k) {
            INFO(texts[k]);
            if (listed && k >= 29) {
                CHECK_FALSE(p[k].ok);
                continue;
            }
            REQUIRE(p[k].number);
            CHECK(p[k].x == 7.5 + static_cast<double>(k + 1));
        }
        for (std::size_t k = texts.size(); k + 1 < cs.size(); ++k) {
            INFO(to_string(cs[k]));
            if (listed)
                CHECK_FALSE(p[k].ok);
            else
                CHECK(p[k].x == 7.5);
        }

        // A tree whose strict pair on c leaves texts out (some shorter than 17 bytes, some longer):
        // those records take the general walk and end at the root.
        std::string first, second;
        for (std::size_t k = 0; k < texts.size(); ++k) {
            if (k % 3 == 0) first += " " + texts[k];
            if (k % 3 == 1) second += " " + texts[k];
        }
        auto leaf = [](const char* id, const std::string& items) {
            return std::string("<Node id=\"") + id + "\" score=\"" + id +
                   "\"><SimpleSetPredicate field=\"c\" booleanOperator=\"isIn\"><Array type=\"string\">" +
                   items + "</Array></SimpleSetPredicate></Node>";
        };
        std::string tree = document(
            dict,
            "<TreeModel functionName=\"regression\" noTrueChildStrategy=\"returnLastPrediction\">"
            "<MiningSchema><MiningField name=\"c\"/><MiningField name=\"x\"/><MiningField name=\"y\" "
            "usageType=\"predicted\"/></MiningSchema><Output><OutputField name=\"id\" "
            "feature=\"entityId\"/></Output><Node id=\"0\" score=\"0\"><True/>" +
                leaf("1", first) + leaf("2", second) + "</Node></TreeModel>\n");
        p = fast_and_full(tree, cs);
        for (std::size_t k = 0; k < texts.size(); ++k) {
            INFO(texts[k]);
            if (listed && k >= 29) {
                CHECK_FALSE(p[k].ok);
                continue;
            }
            REQUIRE(p[k].number);
            CHECK(p[k].x == static_cast<double>(k % 3 == 2 ? 0 : k % 3 + 1));
        }
    }
}

TEST_CASE("string inputs: one to ten of them, with a miss, a number or a missing value at each place",
          "[pmml]") {
    // A regression reading n string inputs c0..c(n-1) (listed values a, bb, ccc; "bb" in ci adds
    // 2^i) and a number x. Each row is scored with x typed (the fast load, which reads the strings
    // in a loop unrolled up to eight inputs) and with x as text (the full load): the two must agree
    // on every row, and rows whose strings are all listed must give the sum.
    for (int n = 1; n <= 10; ++n) {
        INFO(n << " string inputs");
        std::string dict, schema, terms;
        for (int i = 0; i < n; ++i) {
            const std::string c = "c" + std::to_string(i);
            dict += "<DataField name=\"" + c +
                    "\" optype=\"categorical\" dataType=\"string\"><Value value=\"a\"/><Value value=\"bb\"/>"
                    "<Value value=\"ccc\"/></DataField>\n";
            schema += "<MiningField name=\"" + c + "\"/>";
            terms += "<CategoricalPredictor name=\"" + c + "\" value=\"bb\" coefficient=\"" +
                     std::to_string(1 << i) + "\"/>";
        }
        dict +=
            "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
            "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";
        auto m = pmml::load(document(
            dict,
            "<RegressionModel functionName=\"regression\"><MiningSchema>" + schema +
                "<MiningField name=\"x\"/><MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema>"
                "<RegressionTable intercept=\"0.5\"><NumericPredictor name=\"x\" coefficient=\"1\"/>" +
                terms + "</RegressionTable></RegressionModel>\n"));
        const auto& inputs = m->schema().inputs;
        REQUIRE(inputs.size() == static_cast<std::size_t>(n) + 1);
        // Row r: ci is "bb" when bit i of r is set, else "a" or "ccc"; then one place replaced.
        const std::vector<Value> odd = {Value::string("zz"), Value::string("bb "), Value::number(3),
                                        Value::missing()};
        int listed_rows = 0;
        for (int r = 0; r < 4; ++r)
            for (int at = -1; at < n; ++at)
                for (std::size_t kind = 0; kind < (at < 0 ? 1 : odd.size()); ++kind) {
                    std::vector<Value> fast(inputs.size()), full(inputs.size());
                    double expected = 0.5 + 7.0;
                    for (std::size_t k = 0; k < inputs.size(); ++k) {
                        if (inputs[k] == "x") {
                            fast[k] = Value::number(7);
                            full[k] = Value::string("7 ");
                            continue;
                        }
                        const int i = std::stoi(inputs[k].substr(1));
                        const bool bb = ((r * 0x5A5 + i) % 3) == 0;
                        fast[k] = Value::string(bb ? "bb" : i % 2 ? "a" : "ccc");
                        if (bb) expected += 1 << i;
                        if (i == at) fast[k] = odd[kind];
                        full[k] = fast[k];
                    }
                    INFO("row " << r << ", replaced at " << at << " by "
                                << (at < 0 ? "" : to_string(odd[kind])));
                    Prediction a, b;
                    m->score(FeatureRow(fast.data(), fast.size()), a);
                    m->score(FeatureRow(full.data(), full.size()), b);
                    REQUIRE(a.error == b.error);
                    REQUIRE(same(a.value, b.value));
                    if (at < 0) {
                        ++listed_rows;
                        REQUIRE(a.ok());
                        CHECK(a.value.as_number() == expected);
                    }
                }
        CHECK(listed_rows == 4);
    }
}

namespace {

/// A classification RegressionModel (a regression when there is one table) over the numeric inputs n0, n1, n2
/// (n1 replaced by 1.5 when missing) and the string inputs c0 to c5 (p, q and r listed; unlisted strings kept
/// as they are). Table i (category k<i>) has shape[i].first NumericPredictors (n0, n1, n2, n0, ...) and the
/// terms of shape[i].second string inputs (c0, c1, ...; each with a term for p and for r), or, when
/// shape[i].first is -1, no terms and the intercept `zero` (a reference class). `in_order`: the
/// tables in category order, else reversed.
std::string compact_doc(const char* norm, const std::vector<std::pair<int, int>>& shape, bool in_order,
                        const char* zero = "0") {
    static const char* const coefs[] = {"0.3",  "-1.7", "2.5e-3", "-0.0625", "11.5", "-3.1415926535897931",
                                        "1e-5", "0.7",  "-0.001", "4.25",    "-9",   "0.1"};
    std::size_t next = 0;
    auto coef = [&] { return std::string(coefs[next++ % (sizeof coefs / sizeof coefs[0])]); };
    std::string dict;
    for (int i = 0; i < 3; ++i)
        dict +=
            "<DataField name=\"n" + std::to_string(i) + "\" optype=\"continuous\" dataType=\"double\"/>\n";
    for (int i = 0; i < 6; ++i)
        dict += "<DataField name=\"c" + std::to_string(i) +
                "\" optype=\"categorical\" dataType=\"string\"><Value value=\"p\"/><Value value=\"q\"/>"
                "<Value value=\"r\"/></DataField>\n";
    const bool regression = shape.size() == 1;
    if (regression) {
        dict += "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n";
    } else {
        dict += "<DataField name=\"y\" optype=\"" +
                std::string(one_score(norm) && shape.size() > 2 ? "ordinal" : "categorical") +
                "\" dataType=\"string\">";
        for (std::size_t k = 0; k < shape.size(); ++k)
            dict += "<Value value=\"k" + std::to_string(k) + "\"/>";
        dict += "</DataField>\n";
    }
    std::string schema =
        "<MiningSchema><MiningField name=\"n0\"/><MiningField name=\"n1\" "
        "missingValueReplacement=\"1.5\"/><MiningField name=\"n2\"/>";
    for (int i = 0; i < 6; ++i)
        schema += "<MiningField name=\"c" + std::to_string(i) + "\" invalidValueTreatment=\"asIs\"/>";
    schema += "<MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema>";
    std::vector<std::string> tables;
    for (std::size_t k = 0; k < shape.size(); ++k) {
        const auto [nums, groups] = shape[k];
        std::string t = "<RegressionTable " +
                        (regression ? std::string() : "targetCategory=\"k" + std::to_string(k) + "\" ") +
                        "intercept=\"";
        if (nums < 0) {
            tables.push_back(t + zero + "\"/>");
            continue;
        }
        t += coef() + "\">";
        for (int i = 0; i < nums; ++i)
            t += "<NumericPredictor name=\"n" + std::to_string(i % 3) + "\" coefficient=\"" + coef() + "\"/>";
        for (int i = 0; i < groups; ++i)
            for (const char* v : {"p", "r"})
                t += "<CategoricalPredictor name=\"c" + std::to_string(i) + "\" value=\"" + v +
                     "\" coefficient=\"" + coef() + "\"/>";
        tables.push_back(t + "</RegressionTable>");
    }
    std::string body;
    for (std::size_t k = 0; k < tables.size(); ++k) body += tables[in_order ? k : tables.size() - 1 - k];
    std::string outputs = "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/>";
    for (std::size_t k = 0; k < shape.size() && !regression; ++k)
        outputs += "<OutputField name=\"p" + std::to_string(k) + "\" feature=\"probability\" value=\"k" +
                   std::to_string(k) + "\"/>";
    outputs += "</Output>";
    return document(dict, std::string("<RegressionModel functionName=\"") +
                              (regression ? "regression" : "classification") + "\" normalizationMethod=\"" +
                              norm + "\">" + schema + outputs + body + "</RegressionModel>\n");
}

/// `count` random records for the inputs of compact_doc (in the model's input order): numbers of
/// every kind (zeros of both signs, extremes, subnormals, texts, missing, not numbers) and strings
/// (listed, unlisted, missing, a number).
std::vector<std::vector<Value>> random_records(const pmml::PmmlModel& m, std::size_t count, unsigned seed) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> wide(-50.0, 50.0);
    const std::vector<Value> special = {
        Value::missing(),       Value::number(0.0),      Value::number(-0.0),      Value::number(1e300),
        Value::number(-1e300),  Value::number(4.9e-324), Value::number(-2.5e-310), Value::string("2.5"),
        Value::string("-0.75"), Value::number(709.5),    Value::number(-745.25),   Value::string("x")};
    const std::vector<Value> strings = {Value::missing(),   Value::string("p"),        Value::string("q"),
                                        Value::string("r"), Value::string("unlisted"), Value::number(1)};
    const auto& inputs = m.schema().inputs;
    std::vector<std::vector<Value>> rows;
    for (std::size_t r = 0; r < count; ++r) {
        std::vector<Value> row(inputs.size());
        for (std::size_t i = 0; i < inputs.size(); ++i) {
            if (inputs[i][0] == 'c') {
                row[i] = strings[gen() % strings.size()];
            } else {
                // Mostly ordinary numbers, so most records take the compiled tables.
                unsigned pick = gen() % 8;
                row[i] = pick < 6 ? Value::number(wide(gen)) : special[gen() % special.size()];
            }
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

/// `text` with the first input a NumericPredictor names (a CategoricalPredictor when there is
/// none) read through a derived copy in the model's LocalTransformations: a table with such a term is
/// not dense, so the model keeps no compiled tables and sums term by term. "" when no table has a
/// term.
std::string without_compiled_tables(std::string text) {
    // The name attribute of the element starting at `at` (its position, and its length).
    auto name_of = [&text](std::size_t at) {
        const auto end = text.find('>', at);
        auto from = text.find(" name=\"", at);
        if (from == std::string::npos || from > end) return std::make_pair(std::string::npos, std::size_t{0});
        from += std::strlen(" name=\"");
        return std::make_pair(from, text.find('"', from) - from);
    };
    std::string kind = "<NumericPredictor ";
    if (text.find(kind) == std::string::npos) kind = "<CategoricalPredictor ";
    auto at = text.find(kind);
    if (at == std::string::npos) return {};
    const auto [first, size] = name_of(at);
    REQUIRE(first != std::string::npos);
    const std::string name = text.substr(first, size);
    for (; at != std::string::npos; at = text.find(kind, at + 1)) {
        const auto [from, n] = name_of(at);
        if (from != std::string::npos && text.compare(from, n, name) == 0) text.insert(from + n, "_copy");
    }
    const bool numeric = kind[1] == 'N';
    const std::string field =
        "<DerivedField name=\"" + name + "_copy\" optype=\"" +
        (numeric ? "continuous\" dataType=\"double\"" : "categorical\" dataType=\"string\"") +
        "><FieldRef field=\"" + name + "\"/></DerivedField>";
    const auto model = text.find("<RegressionModel");
    REQUIRE(model != std::string::npos);
    const auto first_table = text.find("<RegressionTable", model);
    const auto local = text.find("<LocalTransformations", model);
    const bool empty =
        local != std::string::npos &&
        text.compare(local, std::strlen("<LocalTransformations/>"), "<LocalTransformations/>") == 0;
    if (local < first_table && empty)
        text.replace(local, std::strlen("<LocalTransformations/>"),
                     "<LocalTransformations>" + field + "</LocalTransformations>");
    else if (local < first_table)
        text.insert(text.find('>', local) + 1, field);
    else
        text.insert(first_table, "<LocalTransformations>" + field + "</LocalTransformations>");
    return text;
}

}  // namespace

TEST_CASE("regression tables: the compiled tables equal the term-by-term sum bit for bit", "[pmml]") {
    using Shape = std::vector<std::pair<int, int>>;
    // Term counts 0 to 9 (numeric) and 0 to 6 (grouped string inputs), so that the sums written out
    // by count and the steps of eight both occur; reference classes (-1) at every place.
    const std::vector<Shape> shapes = {{{-1, 0}, {4, 5}},
                                       {{4, 5}, {-1, 0}},
                                       {{1, 0}, {-1, 0}},
                                       {{-1, 0}, {0, 1}},
                                       {{-1, 0}, {-1, 0}},
                                       {{2, 3}, {3, 2}},
                                       {{9, 6}, {-1, 0}},
                                       {{0, 0}, {-1, 0}},
                                       {{3, 2}, {5, 1}, {-1, 0}},
                                       {{-1, 0}, {8, 4}, {7, 6}},
                                       {{6, 0}, {-1, 0}, {0, 3}},
                                       {{1, 1}, {2, 2}, {3, 3}},
                                       {{1, 1}, {2, 2}, {-1, 0}, {4, 4}}};
    int compiled = 0, predicted = 0, records = 0, by_terms = 0;
    for (const char* norm : {"softmax", "logit", "simplemax", "probit", "cloglog", "none"})
        for (const Shape& shape : shapes)
            for (bool in_order : {true, false})
                for (const char* zero : {"0", "-0"}) {
                    const std::string text = compact_doc(norm, shape, in_order, zero);
                    INFO("normalization " << norm << ", " << shape.size() << " tables"
                                          << (in_order ? "" : " out of order") << ", zero " << zero << "\n"
                                          << text);
                    auto m = pmml::load(text);
                    const std::string& plan = m->describe().plan;
                    REQUIRE(plan.find("direct (class probabilities)") == 0);
                    if (plan.find("compiled tables") != std::string::npos) ++compiled;
                    const bool pair = std::string(norm) == "softmax" && shape.size() == 2 &&
                                      ((shape[0].first < 0) != (shape[1].first < 0));
                    CHECK((plan.find("softmax of one score") != std::string::npos) == pair);
                    const auto rows = random_records(*m, 400, 7u + static_cast<unsigned>(compiled));
                    // The direct plan's class_probabilities() and the general path's evaluate(), each
                    // with and without the compiled tables (when a table has terms).
                    Counts counts = compare(text, rows);
                    if (const std::string by_term = without_compiled_tables(text); !by_term.empty()) {
                        REQUIRE(pmml::load(by_term)->describe().plan.find("compiled") == std::string::npos);
                        compare(text, by_term, rows);
                        compare(general_twin(text), general_twin(by_term), rows);
                        ++by_terms;
                    }
                    CHECK(counts.errors > 0);  // "x" for a number: an invalid value
                    predicted += counts.predicted;
                    records += counts.records;
                }
    CHECK(compiled == 6 * 13 * 2 * 2);
    CHECK(by_terms == 6 * 11 * 2 * 2);  // all but the two shapes without terms
    // Only simplemax over zero scores (0 / 0) predicts nothing.
    CHECK(predicted > records / 2);
    // A regression (one table, every normalization) has no compiled tables: the same comparison
    // guards the dense sum it keeps.
    for (const char* norm : {"none", "exp", "logit", "softmax", "probit", "cloglog", "loglog", "cauchit"})
        for (const auto& [nums, groups] : Shape{{0, 0}, {1, 0}, {0, 1}, {4, 5}, {9, 6}, {8, 6}}) {
            const std::string text = compact_doc(norm, {{nums, groups}}, true);
            INFO("regression, normalization " << norm << "\n" << text);
            auto m = pmml::load(text);
            CHECK(m->describe().plan.find("compiled") == std::string::npos);
            const auto rows = random_records(*m, 400, 3);
            Counts counts = compare(text, rows);
            CHECK(counts.predicted > 100);
            if (const std::string by_term = without_compiled_tables(text); !by_term.empty())
                compare(text, by_term, rows);
        }
}

TEST_CASE("regression tables: the corpus's regressions on random records, compiled and term by term",
          "[pmml]") {
    const std::string dir = SCORESTREAM_PMML_CONFORMANCE_DIR;
    if (!pmml_test::have_corpus(dir)) return;
    const auto cases =
        pmml_test::corpus_cases(dir, [](const std::string& types) { return types == "RegressionModel:1"; });
    int compiled = 0;
    for (const auto& name : cases) {
        INFO("case " << name);
        const std::string text = read_text(dir + "/" + name + "/model.pmml");
        auto model = pmml::load(text);
        if (model->describe().plan.find("compiled") != std::string::npos) ++compiled;
        // The rows, then records whose every input comes from a random row of the case's input or,
        // one time in ten, is one of the values the rows do not hold.
        const auto table = pmml::tools::read_csv(dir + "/" + name + "/input.csv");
        auto rows = pmml_test::corpus_rows(table, model->schema().inputs, 0, {});
        const std::size_t base = rows.size();
        const std::vector<Value> other = {Value::missing(),     Value::string("not listed"),
                                          Value::number(1e300), Value::number(-1e300),
                                          Value::number(0.0),   Value::number(-0.0)};
        std::mt19937 gen(11);
        for (int r = 0; r < 4000; ++r) {
            std::vector<Value> row(model->schema().inputs.size());
            for (std::size_t i = 0; i < row.size(); ++i)
                row[i] = gen() % 10 == 0 ? other[gen() % other.size()] : rows[gen() % base][i];
            rows.push_back(std::move(row));
        }
        const std::string by_term = without_compiled_tables(text);
        REQUIRE(pmml::load(by_term)->describe().plan.find("compiled") == std::string::npos);
        Counts counts = compare(text, by_term, rows);
        CHECK(counts.predicted > 0);
        compare(general_twin(text), general_twin(by_term), rows);
    }
    // rattle's two multinom models and sas-LogisticRegressionIris (the other classifications read
    // derived fields; regressions have no compiled tables).
    CHECK(compiled >= 3);
}

TEST_CASE("regression tables: the softmax of one score at zero, tiny and overflowing scores", "[pmml]") {
    // A logistic regression whose live table's score is +-0 for n0 = +-0 (the compiled pair then
    // takes exp(+-0), exactly 1, where normalize_classes() skips the call), and tiny, huge and
    // overflowing scores around it.
    const std::string dict =
        "<DataField name=\"n0\" optype=\"continuous\" dataType=\"double\"/>\n"
        "<DataField name=\"y\" optype=\"categorical\" dataType=\"string\"><Value value=\"k0\"/><Value "
        "value=\"k1\"/></DataField>\n";
    for (bool zero_first : {false, true}) {
        const std::string live =
            "<RegressionTable targetCategory=\"k0\" intercept=\"0\"><NumericPredictor name=\"n0\" "
            "coefficient=\"2.5\"/></RegressionTable>";
        const std::string zero = "<RegressionTable targetCategory=\"k1\" intercept=\"0\"/>";
        const std::string text = document(
            dict,
            "<RegressionModel functionName=\"classification\" normalizationMethod=\"softmax\">"
            "<MiningSchema><MiningField name=\"n0\"/><MiningField name=\"y\" usageType=\"predicted\"/>"
            "</MiningSchema><Output><OutputField name=\"p0\" feature=\"probability\" value=\"k0\"/>"
            "<OutputField name=\"p1\" feature=\"probability\" value=\"k1\"/></Output>" +
                (zero_first ? zero + live : live + zero) + "</RegressionModel>\n");
        INFO(text);
        auto m = pmml::load(text);
        REQUIRE(m->describe().plan.find("softmax of one score") != std::string::npos);
        std::vector<std::vector<Value>> rows;
        for (double x : {0.0, -0.0, 1e-320, -1e-320, 1e-300, 5.0, -5.0, 283.0, 284.0, -298.0, -299.0, 1e300})
            rows.push_back({Value::number(x)});
        rows.push_back({Value::missing()});
        compare(text, rows);
        compare(text, without_compiled_tables(text), rows);
        Prediction out;
        for (double x : {0.0, -0.0}) {
            const Value row[1] = {Value::number(x)};
            m->score(FeatureRow(row, 1), out);
            CHECK(out.outputs[0].as_number() == 0.5);
            CHECK(out.outputs[1].as_number() == 0.5);
        }
    }
}
