// The ensembles' direct plan: a classification MiningModel whose segments are all <True/> flat trees
// voting gives its vote shares straight to PmmlModel::score, which writes the prediction and the
// outputs without a model result. Each test scores the same records with the document as it is and
// with a twin whose every segment tree has an OutputField of its own (so no segment takes a fast
// path and the ensemble combines the segments' results one by one) and whose top Output has one
// more, constant field: the prediction, every other output and every error must be identical, bit
// for bit.

#include "corpus_rows.hpp"
#include "pmml_test_util.hpp"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

using namespace scorestream;
using pmml_test::document;
using pmml_test::read_text;
using pmml_test::same;

namespace {

/// `text` with a constant transformedValue named `name` appended to the top MiningModel's Output
/// (which the direct plan does not cover).
std::string with_constant_output(std::string text, const std::string& name) {
    const std::string field =
        "<OutputField name=\"" + name +
        "\" feature=\"transformedValue\" dataType=\"double\" "
        "optype=\"continuous\"><Constant dataType=\"double\">0</Constant></OutputField>";
    std::size_t at = text.find("<MiningModel");
    REQUIRE(at != std::string::npos);
    std::size_t schema_end = text.find("</MiningSchema>", at) + std::strlen("</MiningSchema>");
    std::size_t seg = text.find("<Segmentation", at);
    std::size_t output_end = text.find("</Output>", schema_end);
    if (output_end != std::string::npos && output_end < seg)
        text.insert(output_end, field);
    else
        text.insert(schema_end, "<Output>" + field + "</Output>");
    return text;
}

/// `text` with an OutputField in every TreeModel that has no Output, and a constant
/// transformedValue appended to the top model's Output.
std::string general_twin(std::string text) {
    std::size_t at = 0;
    int k = 0;
    while ((at = text.find("<TreeModel", at)) != std::string::npos) {
        std::size_t schema_end = text.find("</MiningSchema>", at);
        REQUIRE(schema_end != std::string::npos);
        schema_end += std::strlen("</MiningSchema>");
        std::size_t node = text.find("<Node", schema_end);
        std::size_t output = text.find("<Output>", schema_end);
        if (output == std::string::npos || output > node)
            text.insert(schema_end, "<Output><OutputField name=\"segment_" + std::to_string(k++) +
                                        "\" feature=\"predictedValue\"/></Output>");
        at = schema_end;
    }
    return with_constant_output(text, "general_path");
}

/// Scores every row with the document and its general twin and requires identical results;
/// returns how many records had a prediction.
int compare(const std::string& text, const std::vector<std::vector<Value>>& rows) {
    const std::string twin = general_twin(text);
    auto direct = pmml::load(text);
    auto general = pmml::load(twin);
    const std::size_t n = direct->schema().outputs.size();
    REQUIRE(general->schema().outputs.size() == n + 1);
    REQUIRE(direct->schema().inputs == general->schema().inputs);
    int predicted = 0;
    Prediction a, b;
    for (const auto& row : rows) {
        direct->score(FeatureRow(row.data(), row.size()), a);
        general->score(FeatureRow(row.data(), row.size()), b);
        predicted += a.value.is_missing() ? 0 : 1;
        pmml_test::require_same_result(*direct, row, a, b, n);
    }
    return predicted;
}

}  // namespace

TEST_CASE("ensemble plan: the corpus's tree ensembles agree with the segment-by-segment path", "[pmml]") {
    const std::string dir = SCORESTREAM_PMML_CONFORMANCE_DIR;
    if (!pmml_test::have_corpus(dir)) return;
    // Every case whose document is a MiningModel over TreeModels.
    const auto cases = pmml_test::corpus_cases(
        dir, [](const std::string& types) { return types.rfind("MiningModel:1;TreeModel:", 0) == 0; });
    CHECK(cases.size() >= 8);
    for (const auto& name : cases) {
        INFO("case " << name);
        const std::string text = read_text(dir + "/" + name + "/model.pmml");
        auto model = pmml::load(text);
        // The shallow Iris forests count their votes by the ranks of their inputs.
        if (name == "rattle-RandomForestIris" || name == "knime-DecisionTreeEnsembleIris")
            CHECK(model->describe().plan.find("by the ranks of") != std::string::npos);
        // The rows, then the first 100 again with each input in turn missing, an unlisted string,
        // a huge number and minus infinity.
        const auto table = pmml::tools::read_csv(dir + "/" + name + "/input.csv");
        const auto rows = pmml_test::corpus_rows(
            table, model->schema().inputs, 100,
            {Value::missing(), Value::string("not listed"), Value::number(1e300), Value::number(-HUGE_VAL)});
        CHECK(compare(text, rows) > 0);
    }
}

namespace {

const std::string dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"p\"/><Value "
    "value=\"q\"/><Value value=\"r\"/></DataField>\n"
    "<DataField name=\"y\" optype=\"categorical\" dataType=\"string\"><Value value=\"B\"/><Value "
    "value=\"A\"/><Value value=\"C\"/></DataField>\n"
    "<DataField name=\"v\" optype=\"continuous\" dataType=\"double\"/>\n";

/// Tree i of a small forest: x <= t goes to a leaf, x > t splits on c. Classes or numbers at the
/// leaves, chosen by i so that the trees disagree (and votes tie).
std::string small_tree(int i, bool regression, const std::string& attrs) {
    static const char* const classes[] = {"A", "B", "C"};
    auto score = [&](int k) {
        return regression ? std::to_string(0.1 * (i + 1) * (k + 1)) : std::string(classes[(i + k) % 3]);
    };
    std::string t = std::to_string(i % 3 + 1);
    return std::string("<TreeModel functionName=\"") + (regression ? "regression" : "classification") +
           "\" " + attrs +
           "><MiningSchema><MiningField name=\"x\"/><MiningField name=\"c\"/><MiningField name=\"" +
           (regression ? "v" : "y") + "\" usageType=\"predicted\"/></MiningSchema><Node score=\"" + score(0) +
           "\"><True/><Node score=\"" + score(1) +
           "\"><SimplePredicate field=\"x\" operator=\"lessOrEqual\" value=\"" + t +
           "\"/></Node><Node score=\"" + score(2) +
           "\"><SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"" + t + "\"/><Node score=\"" +
           score(3) +
           "\"><SimpleSetPredicate field=\"c\" booleanOperator=\"isIn\"><Array "
           "type=\"string\">p</Array></SimpleSetPredicate></Node><Node score=\"" +
           score(4) +
           "\"><SimpleSetPredicate field=\"c\" booleanOperator=\"isNotIn\"><Array "
           "type=\"string\">p</Array></SimpleSetPredicate></Node></Node></Node></TreeModel>";
}

std::string forest(int trees, bool regression, const char* method, const std::string& attrs,
                   const std::string& top_attrs = "") {
    std::string segs;
    for (int i = 0; i < trees; ++i)
        segs += "<Segment weight=\"" + std::to_string(0.1 * (i + 1)) + "\"><True/>" +
                small_tree(i, regression, attrs) + "</Segment>";
    std::string outputs =
        regression
            ? "<Output><OutputField name=\"out\" feature=\"predictedValue\"/></Output>"
            : "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/><OutputField name=\"pA\" "
              "feature=\"probability\" value=\"A\"/><OutputField name=\"pB\" feature=\"probability\" "
              "value=\"B\"/><OutputField name=\"pC\" feature=\"probability\" value=\"C\"/><OutputField "
              "name=\"p\" feature=\"probability\"/><OutputField name=\"conf\" feature=\"confidence\"/>"
              "</Output>";
    return document(
        dict, std::string("<MiningModel functionName=\"") + (regression ? "regression" : "classification") +
                  "\"" + top_attrs +
                  "><MiningSchema><MiningField name=\"x\"/><MiningField name=\"c\"/><MiningField name=\"" +
                  (regression ? "v" : "y") + "\" usageType=\"predicted\"/></MiningSchema>" + outputs +
                  "<Segmentation multipleModelMethod=\"" + method + "\">" + segs +
                  "</Segmentation></MiningModel>\n");
}

/// Every x of `xs` with every c: missing, each listed value, a string no split lists.
std::vector<std::vector<Value>> with_every_c(const std::vector<Value>& xs) {
    const std::vector<Value> cs = {Value::missing(), Value::string("p"), Value::string("q"),
                                   Value::string("r"), Value::string("not listed")};
    std::vector<std::vector<Value>> rows;
    for (const auto& x : xs)
        for (const auto& c : cs) rows.push_back({x, c});
    return rows;
}

/// x around the forests' thresholds and beyond (missing, infinite, text), with every c.
std::vector<std::vector<Value>> grid() {
    return with_every_c({Value::missing(), Value::number(0.5), Value::number(1), Value::number(1.5),
                         Value::number(2), Value::number(2.5), Value::number(3), Value::number(9),
                         Value::number(1e300), Value::number(-HUGE_VAL), Value::string("abc")});
}

}  // namespace

TEST_CASE("ensemble plan: votes with ties, weighted votes and missing-value strategies", "[pmml]") {
    const char* const strategies[] = {"", "missingValueStrategy=\"lastPrediction\"",
                                      "missingValueStrategy=\"nullPrediction\"",
                                      "noTrueChildStrategy=\"returnLastPrediction\""};
    for (const char* method : {"majorityVote", "weightedMajorityVote"})
        for (int trees : {1, 2, 3, 4, 6, 7})
            for (const char* attrs : strategies) {
                INFO(method << ", " << trees << " trees, " << attrs);
                CHECK(compare(forest(trees, false, method, attrs), grid()) > 0);
            }
    // float arithmetic (x-mathContext): the shares are rounded to float32 on both paths.
    CHECK(compare(forest(7, false, "weightedMajorityVote", "", " x-mathContext=\"float\""), grid()) > 0);
}

TEST_CASE("ensemble plan: sums and averages of flat trees agree with the segment-by-segment path", "[pmml]") {
    for (const char* method : {"sum", "weightedSum", "average", "weightedAverage"})
        for (int trees : {1, 3, 7}) {
            INFO(method << ", " << trees << " trees");
            CHECK(compare(forest(trees, true, method, "missingValueStrategy=\"lastPrediction\""), grid()) >
                  0);
        }
}

TEST_CASE("ensemble plan: a clustering MiningModel voting with classification trees", "[pmml]") {
    // The flat walk once read such trees' votes as regression scores (a null score table).
    std::string segs;
    for (int i = 0; i < 2; ++i) segs += "<Segment><True/>" + small_tree(i, false, "") + "</Segment>";
    const std::string text = document(
        dict,
        "<MiningModel functionName=\"clustering\"><MiningSchema><MiningField name=\"x\"/>"
        "<MiningField name=\"c\"/></MiningSchema><Segmentation multipleModelMethod=\"majorityVote\">" +
            segs + "</Segmentation></MiningModel>\n");
    auto model = pmml::load(text);
    Prediction p;
    std::vector<Value> row = {Value::number(0.5), Value::string("p")};
    model->score(FeatureRow(row.data(), row.size()), p);
    REQUIRE(p.ok());
    // tree 0 votes B (x <= 1), tree 1 votes C (x <= 2): a tie, won by the first category interned (B)
    CHECK(to_string(p.value) == "B");
    CHECK(compare(text, grid()) > 0);
}

namespace {

/// A forest of `trees` numeric trees over x voting among `classes` categories. With depth 0, tree
/// i splits x at 1 + i % 3 and again at 2.5 + i % 2 on the right (shallow and numeric: the packed
/// walk); otherwise it is a full tree of that depth splitting [-1, 6] in halves, shifted by i / 50
/// (deep: the lockstep walk). With `silent`, tree 2's third leaf has no score (a tree without a
/// vote sends the record to the general path).
std::string numeric_forest(int trees, int classes, const char* method, bool unit_weights, bool silent,
                           const std::string& top_attrs = "", int depth = 0) {
    std::string values;
    for (int k = 0; k < classes; ++k) values += "<Value value=\"K" + std::to_string(k) + "\"/>";
    const std::string fields =
        "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
        "<DataField name=\"y\" optype=\"categorical\" dataType=\"string\">" +
        values + "</DataField>\n";
    auto leaf = [&](int i, int k, const std::string& predicate) {
        const bool none = silent && i == 2 && k == 2;
        return "<Node" +
               (none ? std::string() : " score=\"K" + std::to_string((i * 7 + k) % classes) + "\"") + ">" +
               predicate + "</Node>";
    };
    auto simple = [](const char* op, double value) {
        return "<SimplePredicate field=\"x\" operator=\"" + std::string(op) + "\" value=\"" +
               std::to_string(value) + "\"/>";
    };
    // A full tree below `predicate` over [lo, hi], its leaves numbered from k.
    int k = 0;
    std::function<std::string(int, double, double, int, const std::string&)> full =
        [&](int i, double lo, double hi, int d, const std::string& predicate) -> std::string {
        if (d == 0) return leaf(i, k++, predicate);
        const double mid = (lo + hi) / 2 + i / 50.0;
        return "<Node score=\"K0\">" + predicate + full(i, lo, mid, d - 1, simple("lessOrEqual", mid)) +
               full(i, mid, hi, d - 1, simple("greaterThan", mid)) + "</Node>";
    };
    std::string segs;
    for (int i = 0; i < trees; ++i) {
        const double t = 1 + i % 3, u = 2.5 + i % 2;
        k = 0;
        segs += "<Segment weight=\"" + std::string(unit_weights ? "1" : std::to_string(0.25 * (i + 1))) +
                "\"><True/><TreeModel functionName=\"classification\"><MiningSchema><MiningField "
                "name=\"x\"/><MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema>" +
                (depth > 0 ? full(i, -1, 6, depth, "<True/>")
                           : "<Node score=\"K0\"><True/>" + leaf(i, 0, simple("lessOrEqual", t)) +
                                 "<Node score=\"K1\">" + simple("greaterThan", t) +
                                 leaf(i, 1, simple("lessOrEqual", u)) + leaf(i, 2, simple("greaterThan", u)) +
                                 "</Node></Node>") +
                "</TreeModel></Segment>";
    }
    std::string outputs = "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/>";
    for (int k = 0; k < classes; ++k)
        outputs += "<OutputField name=\"p" + std::to_string(k) + "\" feature=\"probability\" value=\"K" +
                   std::to_string(k) + "\"/>";
    outputs += "<OutputField name=\"conf\" feature=\"confidence\"/></Output>";
    return document(fields, "<MiningModel functionName=\"classification\"" + top_attrs +
                                "><MiningSchema><MiningField name=\"x\"/><MiningField name=\"y\" "
                                "usageType=\"predicted\"/></MiningSchema>" +
                                outputs + "<Segmentation multipleModelMethod=\"" + method + "\">" + segs +
                                "</Segmentation></MiningModel>\n");
}

std::vector<std::vector<Value>> numeric_rows() {
    std::vector<std::vector<Value>> rows = {
        {Value::missing()},        {Value::number(1e300)},        {Value::number(-HUGE_VAL)},
        {Value::number(HUGE_VAL)}, {Value::number(std::nan(""))}, {Value::string("abc")}};
    for (int i = -25; i <= 150; ++i) rows.push_back({Value::number(0.05 * i)});
    return rows;
}

}  // namespace

TEST_CASE("ensemble plan: votes of shallow numeric forests counted in one integer", "[pmml]") {
    // Two to five categories (five: not counted), 1 to 600 trees (counts past 255), unweighted and
    // weighted votes (weights of 1 are counted too), trees without a vote, float arithmetic.
    for (int classes : {2, 3, 4, 5})
        for (int trees : {1, 2, 3, 7, 600})
            for (bool silent : {false, true}) {
                INFO(classes << " categories, " << trees << " trees"
                             << (silent ? ", a tree without a vote" : ""));
                CHECK(compare(numeric_forest(trees, classes, "majorityVote", false, silent), numeric_rows()) >
                      0);
                CHECK(compare(numeric_forest(trees, classes, "weightedMajorityVote", true, silent),
                              numeric_rows()) > 0);
                CHECK(compare(numeric_forest(trees, classes, "weightedMajorityVote", false, silent),
                              numeric_rows()) > 0);
                CHECK(compare(numeric_forest(trees, classes, "majorityVote", false, silent,
                                             " x-mathContext=\"float\""),
                              numeric_rows()) > 0);
            }
    // The probabilities alone as outputs, in category order: written without the per-output loop.
    for (int classes : {2, 3, 4, 5}) {
        INFO(classes << " categories, the probabilities alone");
        std::string text = numeric_forest(7, classes, "majorityVote", false, false);
        for (const char* field : {"<OutputField name=\"pred\" feature=\"predictedValue\"/>",
                                  "<OutputField name=\"conf\" feature=\"confidence\"/>"}) {
            const auto at = text.find(field);
            REQUIRE(at != std::string::npos);
            text.erase(at, std::strlen(field));
        }
        CHECK(compare(text, numeric_rows()) > 0);
    }
    // Deep trees (full trees of depth 7, the lockstep walk) in groups of four and of five lanes,
    // with idle lanes in the last group.
    for (int classes : {2, 3, 4, 5})
        for (int trees : {1, 4, 5, 9, 15})
            for (bool silent : {false, true}) {
                INFO(classes << " categories, " << trees << " deep trees"
                             << (silent ? ", one without a vote" : ""));
                CHECK(compare(numeric_forest(trees, classes, "majorityVote", false, silent, "", 7),
                              numeric_rows()) > 0);
                CHECK(compare(numeric_forest(trees, classes, "weightedMajorityVote", false, silent, "", 7),
                              numeric_rows()) > 0);
            }
}

namespace {

/// A node over x in [lo, hi) of a complete binary tree `depth` levels deep: its children split at
/// a point that depends on the tree, so the trees of a forest disagree. Leaves score classes A/B/C
/// or numbers, counted by `leaf`.
std::string split_node(const std::string& predicate, int tree, int depth, double lo, double hi,
                       bool regression, int& leaf) {
    static const char* const classes[] = {"A", "B", "C"};
    const int k = leaf;
    const std::string score =
        regression ? std::to_string(0.25 * (tree + 1) + 0.125 * k) : std::string(classes[(tree + k) % 3]);
    std::string node = "<Node score=\"" + score + "\">" + predicate;
    if (depth == 0) {
        ++leaf;
        return node + "</Node>";
    }
    const double mid = lo + (hi - lo) * (0.35 + 0.1 * (tree % 4));
    const std::string t = std::to_string(mid);
    node += split_node("<SimplePredicate field=\"x\" operator=\"lessOrEqual\" value=\"" + t + "\"/>", tree,
                       depth - 1, lo, mid, regression, leaf);
    node += split_node("<SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"" + t + "\"/>", tree,
                       depth - 1, mid, hi, regression, leaf);
    return node + "</Node>";
}

/// A tree over x whose leaves hang off a chain of `depth` splits (the last split has two leaves).
std::string chain_node(const std::string& predicate, int tree, int depth, double lo, double hi) {
    static const char* const classes[] = {"A", "B", "C"};
    std::string node = "<Node score=\"" + std::string(classes[(tree + depth) % 3]) + "\">" + predicate;
    if (depth == 0) return node + "</Node>";
    const double mid = lo + (hi - lo) * 0.3;
    const std::string t = std::to_string(mid);
    node += "<Node score=\"" + std::string(classes[(tree + depth + 1) % 3]) +
            "\"><SimplePredicate field=\"x\" operator=\"lessOrEqual\" value=\"" + t + "\"/></Node>";
    node += chain_node("<SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"" + t + "\"/>", tree,
                       depth - 1, mid, hi);
    return node + "</Node>";
}

/// A forest of `trees` complete numeric trees `depth` levels deep. With `category_root`, each tree
/// first splits on c: {p} or {q}, a pair that leaves the listed value r out (a record with r takes
/// the general walk, which stops at that split). With `mixed`, tree i is (5 * i) % 7 levels deep
/// (tree 0 is a lone leaf) and `depth` is unused; with `chain` above 0, tree 1 is a chain of that
/// many splits.
std::string split_forest(int trees, int depth, bool regression, const char* method, bool category_root,
                         bool mixed = false, int chain = 0) {
    std::string segs;
    for (int i = 0; i < trees; ++i) {
        int leaf = 0;
        std::string root;
        if (chain > 0 && i == 1) {
            root = chain_node("<True/>", i, chain, 0, 10);
        } else if (mixed) {
            root = split_node("<True/>", i, (5 * i) % 7, 0, 10, regression, leaf);
        } else if (category_root) {
            root = "<Node score=\"" + std::string(regression ? "0.5" : "A") + "\"><True/>" +
                   split_node(
                       "<SimpleSetPredicate field=\"c\" booleanOperator=\"isIn\"><Array "
                       "type=\"string\">p</Array></SimpleSetPredicate>",
                       i, depth - 1, 0, 10, regression, leaf) +
                   split_node(
                       "<SimpleSetPredicate field=\"c\" booleanOperator=\"isIn\"><Array "
                       "type=\"string\">q</Array></SimpleSetPredicate>",
                       i + 1, depth - 1, 0, 10, regression, leaf) +
                   "</Node>";
        } else {
            root = split_node("<True/>", i, depth, 0, 10, regression, leaf);
        }
        segs += "<Segment weight=\"" + std::to_string(0.5 + 0.25 * i) +
                "\"><True/><TreeModel functionName=\"" + (regression ? "regression" : "classification") +
                "\"><MiningSchema><MiningField name=\"x\"/><MiningField name=\"c\"/><MiningField name=\"" +
                (regression ? "v" : "y") + "\" usageType=\"predicted\"/></MiningSchema>" + root +
                "</TreeModel></Segment>";
    }
    std::string outputs =
        regression
            ? "<Output><OutputField name=\"out\" feature=\"predictedValue\"/></Output>"
            : "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/><OutputField name=\"pA\" "
              "feature=\"probability\" value=\"A\"/><OutputField name=\"pC\" feature=\"probability\" "
              "value=\"C\"/><OutputField name=\"p\" feature=\"probability\"/></Output>";
    return document(
        dict, std::string("<MiningModel functionName=\"") + (regression ? "regression" : "classification") +
                  "\"><MiningSchema><MiningField name=\"x\"/><MiningField name=\"c\"/><MiningField name=\"" +
                  (regression ? "v" : "y") + "\" usageType=\"predicted\"/></MiningSchema>" + outputs +
                  "<Segmentation multipleModelMethod=\"" + method + "\">" + segs +
                  "</Segmentation></MiningModel>\n");
}

/// x across [0, 10] and beyond (every threshold above falls between two of these), times c.
std::vector<std::vector<Value>> fine_grid() {
    std::vector<Value> xs = {Value::missing(), Value::number(1e300), Value::number(-HUGE_VAL),
                             Value::string("abc")};
    for (int k = -2; k <= 108; ++k) xs.push_back(Value::number(0.0937 * k));
    return with_every_c(xs);
}

/// compare() for a document whose plan must name `walk`: the fast form under test is in use.
void compare_walk(const std::string& text, const std::string& walk, const std::string& plan_start) {
    auto model = pmml::load(text);
    const std::string plan = model->describe().plan;
    INFO("plan: " << plan);
    REQUIRE(plan.rfind(plan_start, 0) == 0);
    REQUIRE(plan.find(walk) != std::string::npos);
    REQUIRE(pmml::load(general_twin(text))->describe().plan == "general");
    CHECK(compare(text, fine_grid()) > 0);
}

const std::string fixed_walk = "of a fixed number of levels over a counted copy";
const std::string by_ranks = "by the ranks of";

/// compare_walk() for a shallow numeric forest with a counted vote, which takes the fixed walk or
/// the ranks, whichever costs fewer instructions: counts the form in `fixed` or `ranked`.
void compare_counted(const std::string& text, const std::string& plan_start, int& fixed, int& ranked) {
    const std::string plan = pmml::load(text)->describe().plan;
    const bool by_rank = plan.find(by_ranks) != std::string::npos;
    compare_walk(text, by_rank ? by_ranks : fixed_walk, plan_start);
    ++(by_rank ? ranked : fixed);
}

}  // namespace

TEST_CASE("ensemble plan: each walk form agrees with the segment-by-segment path", "[pmml]") {
    const std::string direct = "direct (class probabilities)", general = "general";
    SECTION("shallow numeric trees, one after another over the packed copy") {
        // A weighted vote (weights other than 1), sums and averages.
        for (int trees : {1, 3, 7}) {
            INFO(trees << " trees");
            compare_walk(split_forest(trees, 2, false, "weightedMajorityVote", false), "over a packed copy",
                         direct);
        }
        // A counted vote with a tree deeper than the fixed walk takes (24 levels).
        for (int chain : {25, 30})
            compare_walk(split_forest(4, 2, false, "majorityVote", false, false, chain), "over a packed copy",
                         direct);
        for (const char* method : {"sum", "weightedSum", "average", "weightedAverage"}) {
            INFO(method);
            compare_walk(split_forest(5, 3, true, method, false), "over a packed copy", general);
        }
    }
    SECTION("shallow numeric trees with a counted vote: a fixed number of levels per group, or ranks") {
        // Trees of one depth (one or more groups of up to five lanes), and of depths 0 to 6 sorted
        // into groups of like depth (a lone leaf first, at index 0 of the copy). Each forest takes
        // the fixed walk or the ranks, whichever is cheaper; both forms are taken, and each must agree.
        int fixed = 0, ranked = 0;
        for (int depth : {1, 2, 4})
            for (int trees : {1, 3, 5, 7, 12}) {
                INFO(trees << " trees " << depth << " deep");
                compare_counted(split_forest(trees, depth, false, "majorityVote", false), direct, fixed,
                                ranked);
            }
        for (int trees : {1, 2, 4, 6, 7, 11, 14}) {
            INFO(trees << " trees of mixed depths");
            compare_counted(split_forest(trees, 0, false, "majorityVote", false, true), direct, fixed,
                            ranked);
        }
        // The deepest tree the fixed walk takes: 24 levels (a group of one such lane walks them all).
        compare_counted(split_forest(4, 2, false, "majorityVote", false, false, 24), direct, fixed, ranked);
        // On the general plan (an output the direct plan does not cover, the segments still flat):
        // the ensemble's evaluate() counts over the same copy.
        for (int trees : {1, 7, 12}) {
            INFO(trees << " trees, general plan");
            compare_counted(with_constant_output(split_forest(trees, 2, false, "majorityVote", false), "top"),
                            general, fixed, ranked);
            compare_counted(
                with_constant_output(split_forest(trees, 0, false, "majorityVote", false, true), "top"),
                general, fixed, ranked);
        }
        INFO(fixed << " forests took the fixed walk, " << ranked << " the ranks");
        CHECK(fixed >= 5);
        CHECK(ranked >= 5);
    }
    SECTION("deep numeric trees in lockstep over the numeric copy") {
        for (int trees : {3, 5, 7, 8})
            for (const char* method : {"majorityVote", "weightedMajorityVote"}) {
                INFO(method << ", " << trees << " trees");
                compare_walk(split_forest(trees, 7, false, method, false), "in lockstep over a numeric copy",
                             direct);
            }
        compare_walk(split_forest(5, 7, true, "weightedAverage", false), "in lockstep over a numeric copy",
                     general);
    }
    SECTION("deep trees with a category pair that leaves a value out, in lockstep") {
        for (int trees : {4, 7})
            for (const char* method : {"majorityVote", "weightedMajorityVote"}) {
                INFO(method << ", " << trees << " trees");
                compare_walk(split_forest(trees, 7, false, method, true),
                             "in lockstep over their own flat forms", direct);
            }
        compare_walk(split_forest(6, 7, true, "sum", true), "in lockstep over their own flat forms", general);
    }
}
