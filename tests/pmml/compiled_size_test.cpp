// describe().compiled_bytes of tree ensembles: the corpus's ensembles stay within bounds taken from
// the measured figures (the quarter-of-the-text aim where it is met), node ids are kept only when
// an entityId output can read them, and a segment's distributions only when they are read.

#include "pmml_test_util.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace scorestream;
using pmml_test::document;
using pmml_test::read_text;

namespace {

/// A selectFirst forest of `trees` trees: x <= i + 1 leads to leaf "a<i>" (class A), else "b<i>" (B).
/// `output` is the top model's one OutputField feature.
std::string id_forest(int trees, const std::string& output) {
    std::string segs;
    for (int i = 0; i < trees; ++i) {
        std::string t = std::to_string(i + 1), k = std::to_string(i);
        segs +=
            "<Segment><True/><TreeModel functionName=\"classification\"><MiningSchema><MiningField "
            "name=\"x\"/><MiningField name=\"y\" usageType=\"predicted\"/></MiningSchema><Node id=\"root" +
            k + "\" score=\"A\"><True/><Node id=\"a" + k +
            "\" score=\"A\"><SimplePredicate field=\"x\" operator=\"lessOrEqual\" value=\"" + t +
            "\"/></Node><Node id=\"b" + k +
            "\" score=\"B\"><SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"" + t +
            "\"/></Node></Node></TreeModel></Segment>";
    }
    return document(
        "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
        "<DataField name=\"y\" optype=\"categorical\" dataType=\"string\"><Value value=\"A\"/><Value "
        "value=\"B\"/></DataField>\n",
        "<MiningModel functionName=\"classification\"><MiningSchema><MiningField name=\"x\"/><MiningField "
        "name=\"y\" usageType=\"predicted\"/></MiningSchema><Output><OutputField name=\"out\" "
        "dataType=\"string\" "
        "feature=\"" +
            output + "\"/></Output><Segmentation multipleModelMethod=\"selectFirst\">" + segs +
            "</Segmentation></MiningModel>\n");
}

}  // namespace

TEST_CASE("compiled size: the corpus's tree ensembles stay within their bounds", "[pmml][size]") {
    const std::string dir = SCORESTREAM_PMML_CONFORMANCE_DIR;
    if (!pmml_test::have_corpus(dir)) return;
    // Compiled bytes at most this share of the text. 0.25 is the aim, met but for two small
    // ensembles (fixed per-document and per-tree costs), whose bounds keep them from growing.
    const std::pair<const char*, double> cases[] = {
        {"rattle-RandomForestAudit", 0.25},
        {"knime-GBTAuto", 0.25},
        {"rattle-RandomForestAuto", 0.25},
        {"knime-DecisionTreeEnsembleIris", 0.25},
        {"knime-DecisionTreeEnsembleAudit", 0.25},
        {"rattle-RandomForestIris", 0.34},
        {"rattle-GBMAuto", 0.31},
    };
    for (const auto& [name, bound] : cases) {
        INFO("case " << name);
        const std::string text = read_text(dir + "/" + name + "/model.pmml");
        REQUIRE(!text.empty());
        auto d = pmml::load(text)->describe();
        CHECK(d.text_bytes == text.size());
        CHECK(static_cast<double>(d.compiled_bytes) <= bound * static_cast<double>(d.text_bytes));
    }
}

TEST_CASE("compiled size: node ids are kept only for an entityId output", "[pmml][size]") {
    auto with_ids = pmml::load(id_forest(4, "entityId"));
    auto without = pmml::load(id_forest(4, "predictedValue"));
    const double xs[] = {0.5, 2.5, 7.0};
    const char* ids[] = {"a0", "b0", "b0"};
    const char* classes[] = {"A", "B", "B"};
    for (int i = 0; i < 3; ++i) {
        Value row[] = {Value::number(xs[i])};
        Prediction p, q;
        with_ids->score(FeatureRow(row, 1), p);
        without->score(FeatureRow(row, 1), q);
        REQUIRE(p.outputs.size() == 1);
        REQUIRE(q.outputs.size() == 1);
        CHECK(p.outputs[0].text() == ids[i]);
        CHECK(q.outputs[0].text() == classes[i]);
    }
    // The four trees' ids (three nodes each) are held only where the entityId output reads them.
    CHECK(with_ids->describe().compiled_bytes > without->describe().compiled_bytes + 4 * 3 * 4);
}

namespace {

/// A classification forest of three trees over x, each split three ways (so no flat form), its
/// nodes with ScoreDistributions when `dists`, combined by `method`, with lastPrediction for missing
/// inputs and the ensemble's probability of A as its output.
std::string distribution_forest(const std::string& method, bool dists) {
    auto dist = [&](double a) {
        if (!dists) return std::string();
        return "<ScoreDistribution value=\"A\" recordCount=\"" + std::to_string(a * 10) +
               "\"/><ScoreDistribution value=\"B\" recordCount=\"" + std::to_string(10 - a * 10) + "\"/>";
    };
    auto leaf = [&](const char* op, int t, double a) {
        return std::string("<Node score=\"") + (a > 0.5 ? "A" : "B") +
               "\"><SimplePredicate field=\"x\" operator=\"" + op + "\" value=\"" + std::to_string(t) +
               "\"/>" + dist(a) + "</Node>";
    };
    std::string segs;
    for (int i = 0; i < 3; ++i) {
        segs +=
            "<Segment><True/><TreeModel functionName=\"classification\" "
            "missingValueStrategy=\"lastPrediction\">"
            "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"y\" usageType=\"predicted\"/>"
            "</MiningSchema><Node score=\"" +
            std::string(i == 1 ? "B" : "A") + "\"><True/>" + dist(i == 1 ? 0.4 : 0.7) +
            leaf("lessThan", i, 0.9) + leaf("equal", i, 0.2) + leaf("greaterThan", i, i == 2 ? 0.6 : 0.3) +
            "</Node></TreeModel></Segment>";
    }
    return document(
        "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
        "<DataField name=\"y\" optype=\"categorical\" dataType=\"string\"><Value value=\"A\"/><Value "
        "value=\"B\"/></DataField>\n",
        "<MiningModel functionName=\"classification\"><MiningSchema><MiningField name=\"x\"/><MiningField "
        "name=\"y\" usageType=\"predicted\"/></MiningSchema><Output><OutputField name=\"pA\" "
        "feature=\"probability\" value=\"A\"/></Output><Segmentation multipleModelMethod=\"" +
            method + "\">" + segs + "</Segmentation></MiningModel>\n");
}

}  // namespace

TEST_CASE("compiled size: a segment's distributions are dropped when only its prediction is read",
          "[pmml][size]") {
    // A vote reads each tree's predicted class alone: the trees with distributions compile to as
    // many bytes as the same trees without, and score the same. An average reads the probabilities,
    // which it keeps.
    auto vote = pmml::load(distribution_forest("majorityVote", true));
    auto vote_bare = pmml::load(distribution_forest("majorityVote", false));
    auto average = pmml::load(distribution_forest("average", true));
    auto average_bare = pmml::load(distribution_forest("average", false));
    CHECK(vote->describe().compiled_bytes == vote_bare->describe().compiled_bytes);
    CHECK(average->describe().compiled_bytes > average_bare->describe().compiled_bytes + 3 * 4 * 2 * 8);
    const Value rows[] = {Value::number(-1), Value::number(0), Value::number(1), Value::number(1.5),
                          Value::number(2),  Value::number(3), Value::missing()};
    int differ = 0;
    for (const Value& x : rows) {
        INFO("x = " << to_string(x));
        Prediction p, q, r;
        vote->score(FeatureRow(&x, 1), p);
        vote_bare->score(FeatureRow(&x, 1), q);
        average->score(FeatureRow(&x, 1), r);
        REQUIRE(p.error.empty());
        CHECK(to_string(p.value) == to_string(q.value));
        REQUIRE(p.outputs.size() == 1);
        CHECK(to_string(p.outputs[0]) == to_string(q.outputs[0]));
        differ += to_string(p.outputs[0]) != to_string(r.outputs[0]) ? 1 : 0;
    }
    CHECK(differ > 0);  // the average did read the distributions
}

namespace {

/// A regression over x and c (400 listed values, each `width` characters long) with `terms`
/// NumericPredictors on x and `terms` CategoricalPredictors on c: documents that differ only in
/// their terms.
std::string regression_with_terms(int terms, std::size_t width) {
    std::string values, body;
    for (int k = 0; k < 400; ++k) {
        std::string text = "v" + std::to_string(k);
        text.resize(width, 'x');
        values += "<Value value=\"" + text + "\"/>";
    }
    for (int k = 0; k < terms; ++k) {
        std::string text = "v" + std::to_string(k);
        text.resize(width, 'x');
        body += "<NumericPredictor name=\"x\" exponent=\"" + std::to_string(k % 3 + 1) + "\" coefficient=\"" +
                std::to_string(0.5 + k) + "\"/>";
        body += "<CategoricalPredictor name=\"c\" value=\"" + text + "\" coefficient=\"" + std::to_string(k) +
                "\"/>";
    }
    return pmml_test::document(
        "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>"
        "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\">" +
            values + "</DataField><DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>",
        "<RegressionModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/>"
        "<MiningField name=\"c\"/><MiningField name=\"y\" usageType=\"target\"/></MiningSchema>"
        "<RegressionTable intercept=\"1\">" +
            body + "</RegressionTable></RegressionModel>");
}

}  // namespace

TEST_CASE("compiled size: a regression's terms are counted", "[pmml][size]") {
    auto small = pmml::load(regression_with_terms(1, 28));
    auto large = pmml::load(regression_with_terms(400, 28));
    // The large model scores with its terms (so they are held), and the count grows by at least
    // their coefficients and the category texts its terms keep (28 bytes each, on the heap).
    Value row[] = {Value::number(1.0), Value::string("v3xxxxxxxxxxxxxxxxxxxxxxxxxx")};
    Prediction p;
    large->score(FeatureRow(row, 2), p);
    REQUIRE(p.error.empty());
    CHECK(p.value.as_number() != 1.0);
    const std::size_t grown = large->describe().compiled_bytes - small->describe().compiled_bytes;
    CHECK(grown >= 399 * (2 * sizeof(double) + 28));
}
