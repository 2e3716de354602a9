// Trees whose every split is binary keep only their flat form; records with missing inputs or
// strings no split lists walk it with the missing-value strategies applied. Each test scores the
// same records with such a tree and with the same tree given an extra child that is never true
// (a <False/> node under the root), which keeps the general nodes: every output must be identical.

#include "pmml_test_util.hpp"

#include <random>
#include <string>
#include <vector>

using namespace scorestream;
using pmml_test::document;

namespace {

const std::string dict =
    "<DataField name=\"x1\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"x2\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"/>\n"
    "<DataField name=\"y\" optype=\"categorical\" dataType=\"string\"><Value value=\"A\"/><Value "
    "value=\"B\"/><Value value=\"C\"/></DataField>\n"
    "<DataField name=\"v\" optype=\"continuous\" dataType=\"double\"/>\n";

std::string schema(bool regression) {
    return std::string(
               "<MiningSchema><MiningField name=\"x1\" invalidValueTreatment=\"asIs\"/><MiningField "
               "name=\"x2\"/><MiningField "
               "name=\"c\"/><MiningField name=\"") +
           (regression ? "v" : "y") + "\" usageType=\"predicted\"/></MiningSchema>";
}

std::string num(const char* field, const char* op, const char* value) {
    return std::string("<SimplePredicate field=\"") + field + "\" operator=\"" + op + "\" value=\"" + value +
           "\"/>";
}

std::string set(const char* op, const char* items) {
    return std::string("<SimpleSetPredicate field=\"c\" booleanOperator=\"") + op +
           "\"><Array type=\"string\">" + items + "</Array></SimpleSetPredicate>";
}

/// One node: id, score (class or number), record count, default child, predicate, distribution
/// (classification only) and children.
std::string node(bool regression, const char* id, const char* cls, const char* value, int count,
                 const char* default_child, const std::string& pred, const std::string& dist,
                 const std::string& kids = "") {
    std::string n = std::string("<Node id=\"") + id + "\" score=\"" + (regression ? value : cls) +
                    "\" recordCount=\"" + std::to_string(count) + "\"";
    if (*default_child) n += std::string(" defaultChild=\"") + default_child + "\"";
    return n + ">" + pred + (regression ? "" : dist) + kids + "</Node>";
}

std::string dist(int a, int b, int c, const char* conf_b = nullptr) {
    auto one = [](const char* v, int n, const char* conf) {
        std::string s =
            std::string("<ScoreDistribution value=\"") + v + "\" recordCount=\"" + std::to_string(n) + "\"";
        if (conf) s += std::string(" confidence=\"") + conf + "\"";
        return s + "/>";
    };
    return one("A", a, nullptr) + one("B", b, conf_b) + one("C", c, nullptr);
}

/// "field op value, or field is missing" (KNIME's form), the isMissing test first or second.
std::string or_missing(const char* field, const char* op, const char* value, bool missing_first) {
    std::string m = std::string("<SimplePredicate field=\"") + field + "\" operator=\"isMissing\"/>";
    return "<CompoundPredicate booleanOperator=\"or\">" + (missing_first ? m : "") + num(field, op, value) +
           (missing_first ? "" : m) + "</CompoundPredicate>";
}

/// A tree on x1, x2 and c: numeric splits (<=/>, </>=), a pair of category sets that together list
/// every value of c the document names (strict: a string neither lists sends the record nowhere)
/// and an isIn/isNotIn pair. `general` adds a never-true last child under the root. With
/// `or_missing_at` 1 the first child of the x1 split reads "x1 <= 5 or x1 is missing"; with 2 the
/// second children of the x1 split and of an x2 split are written that way; with 3 the x1 split and
/// the c sets get a third child testing isMissing (as R's gbm writes its splits); with 4 the second
/// children of the x1 split, of an x2 split and of the isIn pair on c are <True/> (a catch-all else);
/// with 5 the pair on c lists p q and "s t" only, while r is named by the x1 > 5 side's split: that
/// pair sends r to neither child (it stays strict, and flat).
std::string tree(bool regression, const std::string& attrs, bool general, int or_missing_at = 0) {
    bool r = regression;
    bool otherwise = or_missing_at == 4;
    bool left_out = or_missing_at == 5;
    std::string p1 =
        or_missing_at == 1 ? or_missing("x1", "lessOrEqual", "5", false) : num("x1", "lessOrEqual", "5");
    std::string p2 = or_missing_at == 2 ? or_missing("x1", "greaterThan", "5", true)
                     : otherwise        ? "<True/>"
                                        : num("x1", "greaterThan", "5");
    std::string p10 = or_missing_at == 2 ? or_missing("x2", "lessOrEqual", "3", false)
                      : otherwise        ? "<True/>"
                                         : num("x2", "lessOrEqual", "3");
    std::string n5 = node(r, "n5", "A", "1.5", 20, "", num("x2", "lessThan", "2"), dist(18, 2, 0));
    std::string n6 =
        node(r, "n6", "B", "2.5", 15, "", num("x2", "greaterOrEqual", "2"), dist(5, 5, 5, "0.25"));
    std::string n3 = node(r, "n3", "A", "1.75", 35, "n6", set("isIn", "p q"), dist(23, 7, 5), n5 + n6);
    std::string n4 = node(r, "n4", "B", "3", 25, "",
                          otherwise  ? "<True/>"
                          : left_out ? set("isIn", "\"s t\"")
                                     : set("isIn", "r \"s t\""),
                          dist(5, 15, 5));
    // or_missing_at 3: a third child testing isMissing under the x1 split and under the c sets.
    std::string is_missing_x1 = "<SimplePredicate field=\"x1\" operator=\"isMissing\"/>";
    std::string is_missing_c = "<SimplePredicate field=\"c\" operator=\"isMissing\"/>";
    std::string n11 = or_missing_at == 3 ? node(r, "n11", "C", "9", 5, "", is_missing_x1, dist(1, 1, 3)) : "";
    std::string n12 =
        or_missing_at == 3 ? node(r, "n12", "B", "0.5", 4, "", is_missing_c, dist(1, 2, 1)) : "";
    std::string n1 = node(r, "n1", "A", "2", 60, "n3", p1, dist(28, 22, 10), n3 + n4 + n12);
    std::string n9 = node(r, "n9", "C", "8", 10, "", num("x2", "greaterThan", "3"), dist(2, 0, 8));
    std::string n10 = node(r, "n10", "B", "6", 15, "", p10, dist(0, 10, 5));
    const char* n7_set = left_out ? "p r" : "p";
    std::string n7 = node(r, "n7", "B", "7", 25, "n10", set("isIn", n7_set), dist(2, 10, 13), n9 + n10);
    std::string n8 = node(r, "n8", "A", "4", 15, "", set("isNotIn", n7_set), dist(10, 5, 0, "0.5"));
    std::string n2 = node(r, "n2", "C", "5", 40, "n7", p2, dist(12, 15, 13), n7 + n8);
    std::string never = general ? node(r, "never", "A", "0", 0, "", "<False/>", "") : "";
    std::string root =
        node(r, "root", "A", "3.5", 100, "n1", "<True/>", dist(40, 37, 23), n1 + n2 + n11 + never);
    std::string outputs = "<Output><OutputField name=\"id\" feature=\"entityId\"/>";
    if (!regression)
        outputs +=
            "<OutputField name=\"pA\" feature=\"probability\" value=\"A\"/><OutputField name=\"pB\" "
            "feature=\"probability\" value=\"B\"/><OutputField name=\"pC\" feature=\"probability\" "
            "value=\"C\"/><OutputField name=\"conf\" feature=\"confidence\"/>";
    outputs += "</Output>";
    return std::string("<TreeModel functionName=\"") + (r ? "regression" : "classification") + "\" " + attrs +
           ">" + schema(r) + outputs + root + "</TreeModel>\n";
}

/// Every combination of: x1 missing/3/5/7/a string (invalid, taken as is), x2 missing/1.5/2/3/4, c
/// missing/each listed value/strings no split lists (v46, v47 and v69 are the category indexes 50,
/// 51 and 73 of the forests whose c lists 74 values: the last a set holds bit by bit, the first and
/// last it holds as unlisted strings).
std::vector<std::vector<Value>> records(const pmml::PmmlModel& m) {
    std::vector<Value> x1s = {Value::missing(), Value::number(3), Value::number(5), Value::number(7),
                              Value::string("not a number")};
    std::vector<Value> x2s = {Value::missing(), Value::number(1.5), Value::number(2), Value::number(3),
                              Value::number(4)};
    std::vector<Value> cs = {Value::missing(),     Value::string("p"),   Value::string("q"),
                             Value::string("r"),   Value::string("s t"), Value::string("unlisted"),
                             Value::string("v46"), Value::string("v47"), Value::string("v69")};
    const auto& names = m.schema().inputs;
    std::vector<std::vector<Value>> rows;
    for (const auto& a : x1s)
        for (const auto& b : x2s)
            for (const auto& c : cs) {
                std::vector<Value> row(names.size());
                for (std::size_t i = 0; i < names.size(); ++i)
                    row[i] = names[i] == "x1"   ? a
                             : names[i] == "x2" ? b
                             : names[i] == "c"  ? c
                                                : Value::missing();  // random_forest's far inputs
                rows.push_back(row);
            }
    return rows;
}

/// Scores every record with both models and requires identical predictions, outputs and errors;
/// returns how many records had a prediction.
int compare(const pmml::PmmlModel& flat, const pmml::PmmlModel& general) {
    REQUIRE(flat.schema().inputs == general.schema().inputs);
    int predicted = 0;
    Prediction a, b;
    for (const auto& row : records(flat)) {
        flat.score(FeatureRow(row.data(), row.size()), a);
        general.score(FeatureRow(row.data(), row.size()), b);
        std::string where;
        for (const auto& v : row) where += to_string(v) + " ";
        INFO("record " << where);
        CHECK(a.error == b.error);
        CHECK(to_string(a.value) == to_string(b.value));
        CHECK(a.value.is_missing() == b.value.is_missing());
        REQUIRE(a.outputs.size() == b.outputs.size());
        for (std::size_t i = 0; i < a.outputs.size(); ++i) {
            INFO("output " << flat.schema().outputs[i]);
            CHECK(a.outputs[i].is_missing() == b.outputs[i].is_missing());
            if (a.outputs[i].is_number() && b.outputs[i].is_number())
                CHECK(a.outputs[i].as_number() == b.outputs[i].as_number());  // exact
            else
                CHECK(to_string(a.outputs[i]) == to_string(b.outputs[i]));
        }
        if (!a.value.is_missing()) ++predicted;
    }
    return predicted;
}

/// The compiled size of `text` with one more output, a constant transformedValue, which keeps the
/// general path: without the direct plan, whose quick form of a small tree (QuickTree) is a copy
/// of its own, the sizes compare the trees' forms alone.
std::size_t bytes_without_direct_plan(std::string text) {
    const auto at = text.find("</Output>");
    REQUIRE(at != std::string::npos);
    text.insert(at,
                "<OutputField name=\"general_path\" feature=\"transformedValue\" dataType=\"double\" "
                "optype=\"continuous\"><Constant dataType=\"double\">0</Constant></OutputField>");
    auto m = pmml::load(text);
    REQUIRE(m->describe().plan.find("general") == 0);
    return m->describe().compiled_bytes;
}

/// The flat-only form is the smaller one: the general nodes are gone. (Tree 5's strict pair leaves
/// a value out: its left-out indexes take 8 bytes per node, which about evens the sizes.)
void check_flat_smaller(const std::string& flat_text, const std::string& general_text, int or_missing_at) {
    const std::size_t flat_bytes = bytes_without_direct_plan(flat_text);
    const std::size_t general_bytes = bytes_without_direct_plan(general_text);
    if (or_missing_at == 5)
        CHECK(flat_bytes <= general_bytes + 8 * 16);
    else
        CHECK(flat_bytes < general_bytes);
}

const char* const strategies[] = {"none",         "lastPrediction",     "nullPrediction",
                                  "defaultChild", "weightedConfidence", "aggregateNodes"};
const char* const no_true_child[] = {"returnNullPrediction", "returnLastPrediction"};

}  // namespace

TEST_CASE("flat trees: every missingValueStrategy agrees with the general nodes", "[pmml]") {
    for (int om = 0; om < 6; ++om)
        for (const char* mvs : strategies)
            for (const char* ntc : no_true_child) {
                std::string attrs = std::string("missingValueStrategy=\"") + mvs +
                                    "\" noTrueChildStrategy=\"" + ntc + "\" missingValuePenalty=\"0.8\"";
                INFO(attrs << "; or isMissing: " << om);
                const std::string flat_text = document(dict, tree(false, attrs, false, om));
                const std::string general_text = document(dict, tree(false, attrs, true, om));
                auto flat = pmml::load(flat_text);
                auto general = pmml::load(general_text);
                check_flat_smaller(flat_text, general_text, om);
                int predicted = compare(*flat, *general);
                CHECK(predicted > 0);
            }
}

TEST_CASE("flat regression trees: the strategies agree with the general nodes", "[pmml]") {
    for (int om = 0; om < 6; ++om)
        for (int k = 0; k < 4; ++k)
            for (const char* ntc : no_true_child) {
                std::string attrs = std::string("missingValueStrategy=\"") + strategies[k] +
                                    "\" noTrueChildStrategy=\"" + ntc + "\"";
                INFO(attrs << "; or isMissing: " << om);
                const std::string flat_text = document(dict, tree(true, attrs, false, om));
                const std::string general_text = document(dict, tree(true, attrs, true, om));
                auto flat = pmml::load(flat_text);
                auto general = pmml::load(general_text);
                check_flat_smaller(flat_text, general_text, om);
                CHECK(compare(*flat, *general) > 0);
            }
}

TEST_CASE("flat trees: outcomes of the strategies on chosen records", "[pmml]") {
    auto load = [](const std::string& attrs) {
        return pmml::load(document(dict, tree(false, attrs, false)));
    };
    using pmml_test::score;
    using pmml_test::text_out;
    // No value missing: the plain walk.
    auto m = load("");
    CHECK(text_out(*m, score(*m, {{"x1", 3.0}, {"x2", 1.0}, {"c", "q"}}), "id") == "n5");
    CHECK(text_out(*m, score(*m, {{"x1", 7.0}, {"x2", 1.0}, {"c", "unlisted"}}), "id") == "n8");
    // A string neither set of the strict pair lists: no child is true.
    CHECK(score(*m, {{"x1", 3.0}, {"x2", 1.0}, {"c", "unlisted"}}).value.is_missing());
    m = load("noTrueChildStrategy=\"returnLastPrediction\"");
    CHECK(text_out(*m, score(*m, {{"x1", 3.0}, {"x2", 1.0}, {"c", "unlisted"}}), "id") == "n1");
    // x2 missing under n3.
    m = load("missingValueStrategy=\"lastPrediction\"");
    CHECK(text_out(*m, score(*m, {{"x1", 3.0}, {"c", "p"}}), "id") == "n3");
    m = load("missingValueStrategy=\"defaultChild\" missingValuePenalty=\"0.5\"");
    auto p = score(*m, {{"c", "p"}});  // x1 and x2 missing: root -> n1 -> n3 -> n6, two penalties
    CHECK(text_out(*m, p, "id") == "n6");
    CHECK(pmml_test::number_out(*m, p, "conf") == Approx(0.25 * 0.25));
    m = load("missingValueStrategy=\"aggregateNodes\"");
    p = score(*m, {{"x1", 3.0}, {"c", "p"}});  // n5 + n6 counts: A 23, B 7, C 5 of 35
    CHECK(to_string(p.value) == "A");
    CHECK(pmml_test::number_out(*m, p, "pA") == Approx(23.0 / 35.0));
    m = load("missingValueStrategy=\"weightedConfidence\"");
    p = score(*m, {{"x1", 3.0}, {"c", "p"}});  // 20/35 * n5 + 15/35 * n6
    CHECK(pmml_test::number_out(*m, p, "pB") == Approx(20.0 / 35.0 * 0.1 + 15.0 / 35.0 / 3.0));

    // "x1 <= 5 or x1 is missing" on the first child: a missing x1 goes there under any strategy;
    // a string in x1 (invalid, taken as is) is not missing, so the split stays undecided.
    m = pmml::load(document(dict, tree(false, "missingValueStrategy=\"lastPrediction\"", false, 1)));
    CHECK(text_out(*m, score(*m, {{"x2", 1.0}, {"c", "p"}}), "id") == "n5");
    CHECK(text_out(*m, score(*m, {{"x1", "not a number"}, {"x2", 1.0}, {"c", "p"}}), "id") == "root");
    // On the second child it is reached only when the first child's unknown is skipped (none).
    m = pmml::load(document(dict, tree(false, "missingValueStrategy=\"lastPrediction\"", false, 2)));
    CHECK(text_out(*m, score(*m, {{"x2", 1.0}, {"c", "p"}}), "id") == "root");
    m = pmml::load(document(dict, tree(false, "", false, 2)));
    CHECK(text_out(*m, score(*m, {{"x2", 1.0}, {"c", "p"}}), "id") == "n10");
    // A third child testing isMissing: taken when the first two are skipped as unknown (none).
    m = pmml::load(document(dict, tree(false, "", false, 3)));
    CHECK(text_out(*m, score(*m, {{"x2", 1.0}, {"c", "p"}}), "id") == "n11");
    CHECK(text_out(*m, score(*m, {{"x1", 3.0}, {"x2", 1.0}}), "id") == "n12");
    CHECK(score(*m, {{"x1", "not a number"}, {"c", "p"}}).value.is_missing());  // no child is true
    m = pmml::load(document(dict, tree(false, "missingValueStrategy=\"lastPrediction\"", false, 3)));
    CHECK(text_out(*m, score(*m, {{"x2", 1.0}, {"c", "p"}}), "id") == "root");

    // A <True/> second child: under none the first child's unknown is skipped and <True/> holds,
    // for a missing x1 and for a string in x1 alike; other strategies stop at the first unknown.
    m = pmml::load(document(dict, tree(false, "", false, 4)));
    // Flat too: the size of the other flat trees (plus one byte per node for missing_child), well
    // under what the 24-byte general nodes would take.
    auto flat_bytes = pmml::load(document(dict, tree(false, "", false)))->describe().compiled_bytes;
    CHECK(m->describe().compiled_bytes <= flat_bytes + 16);
    CHECK(text_out(*m, score(*m, {{"x1", 7.0}, {"x2", 4.0}, {"c", "p"}}), "id") == "n9");
    CHECK(text_out(*m, score(*m, {{"x1", 7.0}, {"x2", 3.0}, {"c", "p"}}), "id") == "n10");
    CHECK(text_out(*m, score(*m, {{"x2", 1.0}, {"c", "p"}}), "id") == "n10");
    CHECK(text_out(*m, score(*m, {{"x1", "not a number"}, {"x2", 1.0}, {"c", "p"}}), "id") == "n10");
    CHECK(text_out(*m, score(*m, {{"x1", 3.0}, {"x2", 1.0}}), "id") == "n4");        // c missing
    CHECK(text_out(*m, score(*m, {{"x1", 3.0}, {"c", "unlisted"}}), "id") == "n4");  // not listed
    m = pmml::load(document(dict, tree(false, "missingValueStrategy=\"lastPrediction\"", false, 4)));
    CHECK(text_out(*m, score(*m, {{"x2", 1.0}, {"c", "p"}}), "id") == "root");
    CHECK(text_out(*m, score(*m, {{"x1", 3.0}, {"x2", 1.0}}), "id") == "n1");
    m = pmml::load(document(dict, tree(false, "missingValueStrategy=\"aggregateNodes\"", false, 4)));
    p = score(*m, {{"x1", 3.0}, {"x2", 1.0}});  // c missing: n4 alone is true, its counts 5/15/5
    CHECK(to_string(p.value) == "B");
    CHECK(pmml_test::number_out(*m, p, "pB") == Approx(15.0 / 25.0));

    // A strict pair that leaves out r, a string the document names elsewhere: r goes to neither
    // child of n1 (noTrueChildStrategy decides), yet the n7 split on the other side takes it. The tree
    // is flat all the same (as small as the other flat trees, plus eight bytes per node).
    m = pmml::load(document(dict, tree(false, "", false, 5)));
    CHECK(m->describe().compiled_bytes <= flat_bytes + 16 * 8 + 16);
    CHECK(score(*m, {{"x1", 3.0}, {"x2", 1.0}, {"c", "r"}}).value.is_missing());
    CHECK(text_out(*m, score(*m, {{"x1", 3.0}, {"x2", 1.0}, {"c", "s t"}}), "id") == "n4");
    CHECK(text_out(*m, score(*m, {{"x1", 3.0}, {"x2", 1.0}, {"c", "q"}}), "id") == "n5");
    CHECK(text_out(*m, score(*m, {{"x1", 7.0}, {"x2", 4.0}, {"c", "r"}}), "id") == "n9");
    CHECK(text_out(*m, score(*m, {{"x1", 7.0}, {"x2", 4.0}, {"c", "q"}}), "id") == "n8");
    m = pmml::load(document(dict, tree(false, "noTrueChildStrategy=\"returnLastPrediction\"", false, 5)));
    CHECK(text_out(*m, score(*m, {{"x1", 3.0}, {"x2", 1.0}, {"c", "r"}}), "id") == "n1");
    CHECK(text_out(*m, score(*m, {{"x1", 3.0}, {"x2", 1.0}, {"c", "unlisted"}}), "id") == "n1");
}

TEST_CASE("ensembles of flat trees: missing values agree with the general nodes", "[pmml]") {
    auto ensemble = [](const std::string& attrs, bool general) {
        std::string segs;
        for (int i = 0; i < 5; ++i)
            segs += "<Segment><True/>" + tree(false, attrs, general && i % 2 == 1, i + 1) + "</Segment>";
        // Segments' own outputs would bar the ensembles' fast path: strip them.
        std::string::size_type b;
        while ((b = segs.find("<Output>")) != std::string::npos)
            segs.erase(b, segs.find("</Output>") + 9 - b);
        return pmml::load(document(
            dict, "<MiningModel functionName=\"classification\">" + schema(false) +
                      "<Output><OutputField name=\"pA\" feature=\"probability\" value=\"A\"/><OutputField "
                      "name=\"pC\" feature=\"probability\" value=\"C\"/></Output><Segmentation "
                      "multipleModelMethod=\"majorityVote\">" +
                      segs + "</Segmentation></MiningModel>\n"));
    };
    for (const char* mvs : strategies) {
        std::string attrs = std::string("missingValueStrategy=\"") + mvs + "\"";
        INFO(attrs);
        auto flat = ensemble(attrs, false);
        auto general = ensemble(attrs, true);
        CHECK(compare(*flat, *general) > 0);
    }
}

namespace {

/// A random tree on x1, x2 and c, full down to depth 5 and splitting further with probability 0.6
/// down to depth 9 (more than 64 nodes, so an ensemble of such trees is walked four in lockstep).
/// Splits: the four ways of writing a numeric split (<= / >, < / >=, and either order) on
/// thresholds 1..7, and isIn / isNotIn pairs on c. Leaves: a class, or a number for regression.
/// `general` adds a never-true last child under the root, which keeps the general nodes.
struct RandomTree {
    std::mt19937& gen;
    bool regression;
    bool numeric_only = false;  ///< no category splits
    int nodes = 0;

    std::string leaf_score() {
        if (!regression) return std::string(1, static_cast<char>('A' + gen() % 3));
        return std::to_string(static_cast<int>(gen() % 2000) - 1000) + "." + std::to_string(gen() % 1000);
    }
    std::string make(const std::string& pred, int depth) {
        ++nodes;
        std::string head = "<Node score=\"" + leaf_score() + "\">" + pred;
        if (depth >= 9 || (depth >= 5 && gen() % 10 >= 6)) return head + "</Node>";
        std::string a, b;
        switch (numeric_only ? gen() % 3 : gen() % 5) {
            case 0:
            case 1:
            case 2: {
                const char* f = gen() % 2 ? "x1" : "x2";
                std::string t = std::to_string(1 + gen() % 7);
                static const char* const ops[][2] = {{"lessOrEqual", "greaterThan"},
                                                     {"lessThan", "greaterOrEqual"},
                                                     {"greaterThan", "lessOrEqual"},
                                                     {"greaterOrEqual", "lessThan"}};
                const auto& op = ops[gen() % 4];
                a = num(f, op[0], t.c_str());
                b = num(f, op[1], t.c_str());
                break;
            }
            default: {
                static const char* const sets[] = {"p", "p q", "q r", "\"s t\" p", "r"};
                const char* items = sets[gen() % 5];
                bool in_first = gen() % 2;
                a = set(in_first ? "isIn" : "isNotIn", items);
                b = set(in_first ? "isNotIn" : "isIn", items);
                break;
            }
        }
        return head + make(a, depth + 1) + make(b, depth + 1) + "</Node>";
    }
};

/// An ensemble of `trees` random trees (the same trees for the same seed), `general` giving every
/// tree a never-true child under its root so none has the flat form. `far`: 64 more inputs listed
/// first, so the trees' inputs have slots from 64 up.
pmml::PmmlModelPtr random_forest(unsigned seed, int trees, bool regression, const char* method, bool general,
                                 bool wide = false, bool numeric_only = false, bool far = false) {
    std::mt19937 gen(seed);
    std::string segs;
    for (int i = 0; i < trees; ++i) {
        RandomTree t{gen, regression, numeric_only};
        std::string root = t.make("<True/>", 0);
        REQUIRE(t.nodes > 64);
        if (general)  // a fixed score: the generator must draw the same numbers for both forests
            root.insert(root.size() - 7,
                        std::string("<Node score=\"") + (regression ? "0" : "A") + "\"><False/></Node>");
        std::string weight = std::to_string(0.1 + 0.37 * i);
        segs += "<Segment weight=\"" + weight + "\"><True/><TreeModel functionName=\"" +
                (regression ? "regression" : "classification") + "\">" + schema(regression) + root +
                "</TreeModel></Segment>";
    }
    std::string outputs =
        regression ? "<Output><OutputField name=\"out\" feature=\"predictedValue\"/></Output>"
                   : "<Output><OutputField name=\"pA\" feature=\"probability\" value=\"A\"/><OutputField "
                     "name=\"pB\" feature=\"probability\" value=\"B\"/><OutputField name=\"pC\" "
                     "feature=\"probability\" value=\"C\"/></Output>";
    // wide: c lists 70 values, so its category indexes go beyond what a 64-bit set holds.
    std::string dictionary = dict;
    if (wide) {
        std::string values =
            "<Value value=\"p\"/><Value value=\"q\"/><Value value=\"r\"/><Value value=\"s t\"/>";
        for (int i = 0; i < 70; ++i) values += "<Value value=\"v" + std::to_string(i) + "\"/>";
        const std::string plain = "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"/>";
        dictionary.replace(
            dictionary.find(plain), plain.size(),
            "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\">" + values + "</DataField>");
    }
    std::string top_schema = schema(regression);
    if (far) {
        std::string fields;
        for (int i = 0; i < 64; ++i) {
            const std::string name = "f" + std::to_string(i);
            dictionary += "<DataField name=\"" + name + "\" optype=\"continuous\" dataType=\"double\"/>\n";
            fields += "<MiningField name=\"" + name + "\"/>";
        }
        top_schema.insert(std::string("<MiningSchema>").size(), fields);
    }
    return pmml::load(document(dictionary, std::string("<MiningModel functionName=\"") +
                                               (regression ? "regression" : "classification") + "\">" +
                                               top_schema + outputs + "<Segmentation multipleModelMethod=\"" +
                                               method + "\">" + segs + "</Segmentation></MiningModel>\n"));
}

}  // namespace

TEST_CASE("ensembles of deep flat trees (lockstep walks) agree with the general nodes", "[pmml]") {
    const char* const votes[] = {"majorityVote", "weightedMajorityVote"};
    const char* const sums[] = {"sum", "weightedSum", "average", "weightedAverage"};
    for (int trees : {4, 5, 9}) {
        for (const char* method : votes) {
            INFO(trees << " trees, " << method);
            auto flat = random_forest(17u + static_cast<unsigned>(trees), trees, false, method, false);
            auto general = random_forest(17u + static_cast<unsigned>(trees), trees, false, method, true);
            // The trees' flat forms are smaller than their general nodes, and the lockstep walk
            // over trees with category splits reads them with no copy of its own.
            CHECK(flat->describe().compiled_bytes < general->describe().compiled_bytes);
            CHECK(flat->describe().plan.find("in lockstep over their own flat forms") != std::string::npos);
            CHECK(compare(*flat, *general) > 0);
        }
        for (bool wide : {false, true}) {
            INFO(trees << " trees, weighted vote, c of " << (wide ? 74 : 4) << " values");
            auto flat = random_forest(41u + static_cast<unsigned>(trees), trees, false,
                                      "weightedMajorityVote", false, wide);
            auto general = random_forest(41u + static_cast<unsigned>(trees), trees, false,
                                         "weightedMajorityVote", true, wide);
            const std::string plan = flat->describe().plan;
            CHECK(plan.find("over their own flat forms") != std::string::npos);
            CHECK(plan.find("(by kind)") == std::string::npos);
            CHECK(compare(*flat, *general) > 0);
        }
        for (const char* method : {"majorityVote", "weightedMajorityVote", "weightedSum"}) {
            // Inputs from slot 64 up: each level chooses its test by the node's kind.
            INFO(trees << " trees on inputs from slot 64 up, " << method);
            const bool regression = std::string(method) == "weightedSum";
            auto flat = random_forest(61u + static_cast<unsigned>(trees), trees, regression, method, false,
                                      false, false, true);
            auto general = random_forest(61u + static_cast<unsigned>(trees), trees, regression, method, true,
                                         false, false, true);
            CHECK(flat->describe().plan.find("over their own flat forms (by kind)") != std::string::npos);
            CHECK(compare(*flat, *general) > 0);
        }
        for (const char* method : {"majorityVote", "weightedMajorityVote", "sum", "weightedAverage"}) {
            INFO(trees << " trees without category splits, " << method);
            const bool regression = std::string(method) == "sum" || std::string(method) == "weightedAverage";
            auto flat = random_forest(53u + static_cast<unsigned>(trees), trees, regression, method, false,
                                      false, true);
            auto general = random_forest(53u + static_cast<unsigned>(trees), trees, regression, method, true,
                                         false, true);
            CHECK(compare(*flat, *general) > 0);
        }
        for (const char* method : sums) {
            INFO(trees << " regression trees, " << method);
            auto flat = random_forest(29u + static_cast<unsigned>(trees), trees, true, method, false);
            auto general = random_forest(29u + static_cast<unsigned>(trees), trees, true, method, true);
            CHECK(compare(*flat, *general) > 0);
        }
    }
}
