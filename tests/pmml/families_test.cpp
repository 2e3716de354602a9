// RuleSetModel, AssociationModel, Scorecard and NearestNeighborModel on small documents whose
// expected values are worked out by hand: the arithmetic is written next to every check.

#include "pmml_test_util.hpp"

#include <scorestream/error.hpp>

#include <cmath>
#include <fstream>
#include <sstream>

using namespace scorestream;
using pmml_test::document;
using pmml_test::In;
using pmml_test::load_error;
using pmml_test::number_out;
using pmml_test::text_out;

namespace {

std::string read_data(const std::string& name) {
    std::ifstream in(std::string(SCORESTREAM_PMML_TEST_DATA) + "/" + name);
    REQUIRE(in);
    std::ostringstream os;
    os << in.rdbuf();
    return os.str();
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
    auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
}

// ---- RuleSetModel ------------------------------------------------------------------------------

const std::string rules_dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"s\" optype=\"categorical\" dataType=\"string\"/>\n"
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\">"
    "<Value value=\"a\"/><Value value=\"b\"/><Value value=\"z\"/></DataField>\n";

/// Rules, in document order (weights, confidences):
///   r1: x > 10                 -> a (weight 0.5, confidence 0.6)
///   compound (s == "k"):
///     r2: x > 5                -> b (weight 0.9, confidence 0.7)
///     r3: True                 -> a (weight 0.3, confidence 0.55)
///   r4: x <= 100               -> b (weight 0.2, confidence 0.51), with a ScoreDistribution
std::string ruleset(const std::string& criterion, const std::string& defaults =
                                                      "defaultScore=\"z\" "
                                                      "defaultConfidence=\"0.1\"") {
    return "<RuleSetModel functionName=\"classification\">\n<MiningSchema><MiningField name=\"x\"/>"
           "<MiningField name=\"s\"/><MiningField name=\"c\" usageType=\"predicted\"/></MiningSchema>\n"
           "<Output><OutputField name=\"pred\" feature=\"predictedValue\"/>"
           "<OutputField name=\"conf\" feature=\"confidence\"/>"
           "<OutputField name=\"rule\" feature=\"entityId\"/>"
           "<OutputField name=\"ruleId\" feature=\"ruleValue\" ruleFeature=\"ruleId\"/>"
           "<OutputField name=\"p_a\" feature=\"probability\" value=\"a\"/>"
           "<OutputField name=\"p_b\" feature=\"probability\" value=\"b\"/></Output>\n"
           "<RuleSet " +
           defaults + "><RuleSelectionMethod criterion=\"" + criterion +
           "\"/>\n"
           "<SimpleRule id=\"r1\" score=\"a\" weight=\"0.5\" confidence=\"0.6\">"
           "<SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"10\"/></SimpleRule>\n"
           "<CompoundRule><SimplePredicate field=\"s\" operator=\"equal\" value=\"k\"/>\n"
           "  <SimpleRule id=\"r2\" score=\"b\" weight=\"0.9\" confidence=\"0.7\">"
           "<SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"5\"/></SimpleRule>\n"
           "  <SimpleRule id=\"r3\" score=\"a\" weight=\"0.3\" confidence=\"0.55\"><True/></SimpleRule>\n"
           "</CompoundRule>\n"
           "<SimpleRule id=\"r4\" score=\"b\" weight=\"0.2\" confidence=\"0.51\">"
           "<SimplePredicate field=\"x\" operator=\"lessOrEqual\" value=\"100\"/>"
           "<ScoreDistribution value=\"a\" recordCount=\"1\"/><ScoreDistribution value=\"b\" "
           "recordCount=\"3\"/>"
           "</SimpleRule>\n</RuleSet>\n</RuleSetModel>\n";
}

}  // namespace

TEST_CASE("RuleSetModel firstHit takes the first firing rule, compound rules guard their children",
          "[pmml][ruleset]") {
    auto m = pmml::load(document(rules_dict, ruleset("firstHit")));
    // x = 20: r1 fires first.
    auto p = pmml_test::score(*m, {{"x", 20.0}, {"s", "k"}});
    REQUIRE(p.ok());
    CHECK(to_string(p.value) == "a");
    CHECK(number_out(*m, p, "conf") == 0.6);
    CHECK(text_out(*m, p, "rule") == "r1");
    CHECK(text_out(*m, p, "ruleId") == "r1");
    // No ScoreDistribution on r1: the predicted class has probability 1.
    CHECK(number_out(*m, p, "p_a") == 1.0);
    // x = 7, s = "k": r1 fails, the compound fires, r2 (x > 5) fires.
    p = pmml_test::score(*m, {{"x", 7.0}, {"s", "k"}});
    CHECK(to_string(p.value) == "b");
    CHECK(text_out(*m, p, "rule") == "r2");
    // x = 7, s = "q": the compound's predicate fails, so r2 and r3 are skipped; r4 fires, and its
    // ScoreDistribution gives p(a) = 1/(1+3) = 0.25, p(b) = 3/4 = 0.75.
    p = pmml_test::score(*m, {{"x", 7.0}, {"s", "q"}});
    CHECK(to_string(p.value) == "b");
    CHECK(text_out(*m, p, "rule") == "r4");
    CHECK(number_out(*m, p, "p_a") == 0.25);
    CHECK(number_out(*m, p, "p_b") == 0.75);
    // x missing, s = "q": no rule fires (UNKNOWN does not fire): the default score and confidence.
    p = pmml_test::score(*m, {{"s", "q"}});
    REQUIRE(p.ok());
    CHECK(to_string(p.value) == "z");
    CHECK(number_out(*m, p, "conf") == 0.1);
    CHECK(text_out(*m, p, "rule") == "<missing>");
}

TEST_CASE("RuleSetModel weightedSum adds the weights of the firing rules per class", "[pmml][ruleset]") {
    auto m = pmml::load(document(rules_dict, ruleset("weightedSum")));
    // x = 20, s = "k": firing r1 (a, 0.5), r2 (b, 0.9), r3 (a, 0.3), r4 (b, 0.2).
    // a: 0.5 + 0.3 = 0.8; b: 0.9 + 0.2 = 1.1 -> b; confidence 1.1 / 4 firing rules = 0.275.
    auto p = pmml_test::score(*m, {{"x", 20.0}, {"s", "k"}});
    REQUIRE(p.ok());
    CHECK(to_string(p.value) == "b");
    CHECK(number_out(*m, p, "conf") == Approx(1.1 / 4).epsilon(1e-15));
    // x = 200, s = "k": r1 (a, 0.5), r2 (b, 0.9), r3 (a, 0.3); r4 fails (x > 100).
    // a: 0.8, b: 0.9 -> b, confidence 0.9 / 3 = 0.3.
    p = pmml_test::score(*m, {{"x", 200.0}, {"s", "k"}});
    CHECK(to_string(p.value) == "b");
    CHECK(number_out(*m, p, "conf") == Approx(0.3).epsilon(1e-15));
    // x = 200, s = "q": only r1 -> a, confidence 0.5 / 1.
    p = pmml_test::score(*m, {{"x", 200.0}, {"s", "q"}});
    CHECK(to_string(p.value) == "a");
    CHECK(number_out(*m, p, "conf") == 0.5);
}

TEST_CASE("RuleSetModel weightedMax takes the firing rule of highest weight", "[pmml][ruleset]") {
    auto m = pmml::load(document(rules_dict, ruleset("weightedMax")));
    // x = 20, s = "k": weights 0.5 (r1), 0.9 (r2), 0.3 (r3), 0.2 (r4) -> r2 (b), confidence 0.7.
    auto p = pmml_test::score(*m, {{"x", 20.0}, {"s", "k"}});
    REQUIRE(p.ok());
    CHECK(to_string(p.value) == "b");
    CHECK(number_out(*m, p, "conf") == 0.7);
    CHECK(text_out(*m, p, "rule") == "r2");
    // x = 20, s = "q": r1 (0.5) beats r4 (0.2) -> a.
    p = pmml_test::score(*m, {{"x", 20.0}, {"s", "q"}});
    CHECK(to_string(p.value) == "a");
    CHECK(text_out(*m, p, "rule") == "r1");
    // Without a defaultScore, a record no rule fires for has no prediction (and no error).
    auto nd = pmml::load(document(rules_dict, ruleset("weightedMax", "")));
    p = pmml_test::score(*nd, {{"s", "q"}});
    REQUIRE(p.ok());
    CHECK(p.value.is_missing());
    CHECK(nd->describe().details == "4 rules (1 compound), criterion weightedMax");
}

TEST_CASE("RuleSetModel: malformed documents are refused with element and line", "[pmml][ruleset]") {
    auto doc = document(rules_dict, ruleset("firstHit"));
    CHECK_THAT(load_error<invalid_value_error>(replace(doc, "criterion=\"firstHit\"", "criterion=\"best\"")),
               Catch::Contains("<RuleSelectionMethod> at line") && Catch::Contains("best"));
    CHECK_THAT(load_error<parse_error>(replace(doc, "<RuleSelectionMethod criterion=\"firstHit\"/>", "")),
               Catch::Contains("<RuleSet> at line"));
    CHECK_THAT(load_error<parse_error>(replace(doc, "id=\"r1\" score=\"a\"", "id=\"r1\"")),
               Catch::Contains("<SimpleRule> at line") && Catch::Contains("score"));
    CHECK_THAT(load_error<parse_error>(replace(
                   doc, "<SimplePredicate field=\"x\" operator=\"greaterThan\" value=\"10\"/></SimpleRule>",
                   "</SimpleRule>")),
               Catch::Contains("<SimpleRule> at line") && Catch::Contains("predicate"));
    CHECK_THAT(load_error<invalid_value_error>(
                   replace(doc, "field=\"s\" operator=\"equal\"", "field=\"nope\" operator=\"equal\"")),
               Catch::Contains("<SimplePredicate> at line") && Catch::Contains("nope"));
    CHECK_THAT(load_error<unsupported_error>(replace(doc, "ruleFeature=\"ruleId\"", "ruleFeature=\"lift\"")),
               Catch::Contains("<OutputField> at line"));
}

// ---- AssociationModel --------------------------------------------------------------------------

namespace {

const std::string basket_dict =
    "<DataField name=\"transaction\" optype=\"categorical\" dataType=\"string\"/>\n"
    "<DataField name=\"item\" optype=\"categorical\" dataType=\"string\"/>\n";

/// Items 1 beer, 2 chips, 3 salsa, 4 "ice cream". Rules (support, confidence, lift):
///   1: {beer} -> {chips}          0.3, 0.8, 2.0
///   2: {chips} -> {salsa}         0.2, 0.6, 1.5
///   3: {beer, chips} -> {salsa}   0.1, 0.9, 3.0
///   4: {chips} -> {"ice cream"}   0.4, 0.6, 1.2
std::string association(const std::string& outputs) {
    return "<AssociationModel functionName=\"associationRules\" numberOfTransactions=\"10\" "
           "minimumSupport=\"0.1\" minimumConfidence=\"0.5\" numberOfItems=\"4\" numberOfItemsets=\"5\" "
           "numberOfRules=\"4\">\n"
           "<MiningSchema><MiningField name=\"transaction\" usageType=\"group\"/>"
           "<MiningField name=\"item\" usageType=\"active\"/></MiningSchema>\n"
           "<Output>" +
           outputs +
           "</Output>\n"
           "<Item id=\"1\" value=\"beer\"/><Item id=\"2\" value=\"chips\"/><Item id=\"3\" value=\"salsa\"/>"
           "<Item id=\"4\" value=\"ice cream\"/>\n"
           "<Itemset id=\"1\"><ItemRef itemRef=\"1\"/></Itemset>"
           "<Itemset id=\"2\"><ItemRef itemRef=\"2\"/></Itemset>"
           "<Itemset id=\"3\"><ItemRef itemRef=\"3\"/></Itemset>"
           "<Itemset id=\"4\"><ItemRef itemRef=\"1\"/><ItemRef itemRef=\"2\"/></Itemset>"
           "<Itemset id=\"5\"><ItemRef itemRef=\"4\"/></Itemset>\n"
           "<AssociationRule support=\"0.3\" confidence=\"0.8\" lift=\"2.0\" antecedent=\"1\" "
           "consequent=\"2\"/>"
           "<AssociationRule support=\"0.2\" confidence=\"0.6\" lift=\"1.5\" antecedent=\"2\" "
           "consequent=\"3\"/>"
           "<AssociationRule support=\"0.1\" confidence=\"0.9\" lift=\"3.0\" antecedent=\"4\" "
           "consequent=\"3\"/>"
           "<AssociationRule support=\"0.4\" confidence=\"0.6\" lift=\"1.2\" antecedent=\"2\" "
           "consequent=\"5\" "
           "id=\"chips-ice\"/>\n"
           "</AssociationModel>\n";
}

const std::string association_outputs =
    // exclusiveRecommendation (the default), ranked by confidence (the default).
    "<OutputField name=\"x1\" feature=\"ruleValue\" ruleFeature=\"consequent\" rank=\"1\"/>"
    "<OutputField name=\"x1id\" feature=\"ruleValue\" ruleFeature=\"ruleId\" rank=\"1\"/>"
    "<OutputField name=\"x2\" feature=\"ruleValue\" ruleFeature=\"consequent\" rank=\"2\"/>"
    "<OutputField name=\"x3\" feature=\"ruleValue\" ruleFeature=\"consequent\" rank=\"3\"/>"
    // recommendation by support, and its rule text.
    "<OutputField name=\"r1\" feature=\"ruleValue\" algorithm=\"recommendation\" rankBasis=\"support\" "
    "ruleFeature=\"rule\"/>"
    "<OutputField name=\"r1sup\" feature=\"ruleValue\" algorithm=\"recommendation\" rankBasis=\"support\" "
    "ruleFeature=\"support\"/>"
    // ruleAssociation: antecedent and consequent both in the basket; lowest lift first.
    "<OutputField name=\"a1\" feature=\"ruleValue\" algorithm=\"ruleAssociation\" rankBasis=\"lift\" "
    "rankOrder=\"ascending\" ruleFeature=\"ruleId\"/>"
    "<OutputField name=\"a1lift\" feature=\"ruleValue\" algorithm=\"ruleAssociation\" rankBasis=\"lift\" "
    "rankOrder=\"ascending\" ruleFeature=\"lift\"/>"
    // Every recommended consequent, best confidence first, as one list.
    "<OutputField name=\"all\" feature=\"ruleValue\" algorithm=\"recommendation\" ruleFeature=\"consequent\" "
    "rank=\"3\" isMultiValued=\"1\"/>"
    "<OutputField name=\"ante\" feature=\"ruleValue\" algorithm=\"recommendation\" "
    "ruleFeature=\"antecedent\" "
    "rankBasis=\"lift\"/>";

}  // namespace

TEST_CASE("AssociationModel selects, ranks and reports rules for a basket", "[pmml][association]") {
    auto m = pmml::load(document(basket_dict, association(association_outputs)));
    CHECK(m->schema().inputs == std::vector<std::string>{"item"});
    CHECK(m->describe().group_field == "transaction");
    CHECK(m->describe().function == "associationRules");
    CHECK(m->describe().details == "4 items, 5 itemsets, 4 rules");
    CHECK(pmml::item_list({"beer", "ice cream", "a\"b"}) == "beer \"ice cream\" \"a\\\"b\"");

    // Basket {beer, chips}: antecedents contained: rule 1 ({beer}), 2 ({chips}), 3 ({beer, chips}),
    // 4 ({chips}).
    auto p = pmml_test::score(*m, {{"item", pmml::item_list({"beer", "chips"}).c_str()}});
    REQUIRE(p.ok());
    CHECK(p.value.is_missing());
    // exclusiveRecommendation drops rule 1 (its consequent chips is in the basket): rules 3 (0.9),
    // 2 (0.6) and 4 (0.6) by confidence; 2 and 4 tie and keep document order.
    CHECK(text_out(*m, p, "x1") == "salsa");
    CHECK(text_out(*m, p, "x1id") == "3");
    CHECK(text_out(*m, p, "x2") == "salsa");
    CHECK(text_out(*m, p, "x3") == "ice cream");
    // recommendation by support: rule 4 (0.4) > 1 (0.3) > 2 (0.2) > 3 (0.1).
    CHECK(text_out(*m, p, "r1") == "{chips}->{ice cream}");
    CHECK(number_out(*m, p, "r1sup") == 0.4);
    // ruleAssociation: only rule 1 has antecedent and consequent in {beer, chips}.
    CHECK(text_out(*m, p, "a1") == "1");
    CHECK(number_out(*m, p, "a1lift") == 2.0);
    // recommendation by confidence: rule 3 (0.9), 1 (0.8), 2 (0.6), 4 (0.6): first three consequents.
    CHECK(text_out(*m, p, "all") == "salsa;chips;salsa");
    // recommendation by lift: rule 3 (3.0): antecedent beer,chips.
    CHECK(text_out(*m, p, "ante") == "beer,chips");

    // Basket {chips, "ice cream", salsa} (quoted item with a blank):
    p = pmml_test::score(*m, {{"item", "chips \"ice cream\" salsa"}});
    REQUIRE(p.ok());
    // exclusive: rules 2 ({chips}->{salsa}) and 4 ({chips}->{ice cream}) have consequents in the
    // basket already; rules 1 and 3 need beer: nothing left.
    CHECK(text_out(*m, p, "x1") == "<missing>");
    // ruleAssociation: rules 2 (lift 1.5) and 4 (lift 1.2) hold; ascending lift -> rule 4 (its id).
    CHECK(text_out(*m, p, "a1") == "chips-ice");
    CHECK(number_out(*m, p, "a1lift") == 1.2);
    // Multi-valued with fewer rules than the rank: the two there are (confidence 0.6 each).
    CHECK(text_out(*m, p, "all") == "salsa;ice cream");

    // An empty basket (no record of the group had an item) fires nothing.
    p = pmml_test::score(*m, {In("item")});
    REQUIRE(p.ok());
    CHECK(text_out(*m, p, "x1") == "<missing>");
    CHECK(text_out(*m, p, "all") == "<missing>");
}

TEST_CASE("AssociationModel: tabular items (Item field=...) are present when their field holds them",
          "[pmml][association]") {
    const std::string dict =
        "<DataField name=\"beer\" optype=\"categorical\" dataType=\"string\"/>\n"
        "<DataField name=\"chips\" optype=\"categorical\" dataType=\"string\"/>\n";
    const std::string body =
        "<AssociationModel functionName=\"associationRules\">\n"
        "<MiningSchema><MiningField name=\"beer\"/><MiningField name=\"chips\"/></MiningSchema>\n"
        "<Output><OutputField name=\"rec\" feature=\"ruleValue\" ruleFeature=\"consequent\"/></Output>\n"
        "<Item id=\"1\" field=\"beer\" value=\"yes\"/><Item id=\"2\" field=\"chips\" value=\"yes\"/>\n"
        "<Itemset id=\"1\"><ItemRef itemRef=\"1\"/></Itemset><Itemset id=\"2\"><ItemRef "
        "itemRef=\"2\"/></Itemset>\n"
        "<AssociationRule support=\"0.3\" confidence=\"0.8\" antecedent=\"1\" consequent=\"2\"/>\n"
        "</AssociationModel>\n";
    auto m = pmml::load(document(dict, body));
    CHECK(text_out(*m, pmml_test::score(*m, {{"beer", "yes"}, {"chips", "no"}}), "rec") == "yes");
    CHECK(text_out(*m, pmml_test::score(*m, {{"beer", "yes"}, {"chips", "yes"}}), "rec") == "<missing>");
    CHECK(text_out(*m, pmml_test::score(*m, {{"beer", "no"}}), "rec") == "<missing>");
}

TEST_CASE("AssociationModel: malformed documents are refused with element and line", "[pmml][association]") {
    auto doc = document(basket_dict, association(association_outputs));
    CHECK_THAT(
        load_error<invalid_value_error>(replace(doc, "<ItemRef itemRef=\"3\"/>", "<ItemRef itemRef=\"9\"/>")),
        Catch::Contains("<ItemRef> at line") && Catch::Contains("'9'"));
    CHECK_THAT(load_error<invalid_value_error>(replace(doc, "antecedent=\"4\"", "antecedent=\"44\"")),
               Catch::Contains("<AssociationRule> at line") && Catch::Contains("44"));
    CHECK_THAT(load_error<parse_error>(replace(doc, "support=\"0.3\" confidence=\"0.8\"", "support=\"0.3\"")),
               Catch::Contains("<AssociationRule> at line") && Catch::Contains("confidence"));
    CHECK_THAT(load_error<invalid_value_error>(replace(doc, "<Item id=\"2\"", "<Item id=\"1\"")),
               Catch::Contains("<Item> at line") && Catch::Contains("twice"));
    CHECK_THAT(load_error<invalid_value_error>(replace(doc, "rankBasis=\"support\"", "rankBasis=\"size\"")),
               Catch::Contains("<OutputField> at line") && Catch::Contains("size"));
    CHECK_THAT(
        load_error<invalid_value_error>(replace(doc, "algorithm=\"ruleAssociation\"", "algorithm=\"x\"")),
        Catch::Contains("<OutputField> at line"));
    CHECK_THAT(load_error<invalid_value_error>(
                   replace(doc, "functionName=\"associationRules\"", "functionName=\"regression\"")),
               Catch::Contains("<AssociationModel> at line"));
}

// ---- Scorecard ---------------------------------------------------------------------------------

TEST_CASE("Scorecard sums partial scores and ranks reason codes (pointsBelow)", "[pmml][scorecard]") {
    auto m = pmml::load(read_data("scorecard.pmml"));
    CHECK(m->describe().details ==
          "3 characteristics, 12 attributes, 4 reason codes (pointsBelow, baselineMethod other)");
    // engineering (3), age 25 (18 < 25 <= 29: 0), income 500 (<= 1000: 26): 3 + 0 + 26 = 29.
    // Points below the baselines: RC1 19 - 3 = 16, RC2 18 - 0 = 18, RC3 10 - 26 = -16 (negative:
    // the income raised the score, it is no reason for it; not reported).
    auto p = pmml_test::score(*m, {{"department", "engineering"}, {"age", 25.0}, {"income", 500.0}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == 29.0);
    CHECK(number_out(*m, p, "Final Score") == 29.0);
    CHECK(text_out(*m, p, "Reason Code 1") == "RC2");
    CHECK(text_out(*m, p, "Reason Code 2") == "RC1");
    CHECK(text_out(*m, p, "Reason Code 3") == "<missing>");
    CHECK(text_out(*m, p, "Reason Code 4") == "<missing>");
    // marketing (19), age 40 (> 29: 12), income 3000 (> 2500: 5, the Attribute's own code RC2_3):
    // 19 + 12 + 5 = 36. Points: RC1 19 - 19 = 0, RC2 18 - 12 = 6, RC2_3 10 - 5 = 5.
    p = pmml_test::score(*m, {{"department", "marketing"}, {"age", 40.0}, {"income", 3000.0}});
    CHECK(p.value.as_number() == 36.0);
    CHECK(text_out(*m, p, "Reason Code 1") == "RC2");
    CHECK(text_out(*m, p, "Reason Code 2") == "RC2_3");
    CHECK(text_out(*m, p, "Reason Code 3") == "RC1");
    // business (6), age missing (1), income 1500: ComplexPartialScore 1500 / 1000 * 6 = 9.
    // 6 + 1 + 9 = 16. Points: RC1 19 - 6 = 13, RC2 18 - 1 = 17, RC3 10 - 9 = 1.
    p = pmml_test::score(*m, {{"department", "business"}, {"income", 1500.0}});
    CHECK(p.value.as_number() == 16.0);
    CHECK(text_out(*m, p, "Reason Code 1") == "RC2");
    CHECK(text_out(*m, p, "Reason Code 2") == "RC1");
    CHECK(text_out(*m, p, "Reason Code 3") == "RC3");
    // A department no Attribute matches: the record fails, naming the characteristic.
    p = pmml_test::score(*m, {{"department", "sales"}, {"age", 40.0}, {"income", 3000.0}});
    CHECK_THAT(p.error, Catch::Contains("departmentScore"));
}

TEST_CASE("Scorecard: pointsAbove, initialScore, model-level baseline, useReasonCodes=false",
          "[pmml][scorecard]") {
    auto doc = read_data("scorecard.pmml");
    auto above = pmml::load(
        replace(replace(doc, "pointsBelow", "pointsAbove"), "initialScore=\"0\"", "initialScore=\"100\""));
    // Same record as above: 100 + 3 + 0 + 26 = 129. Points above the baselines: RC1 3 - 19 = -16,
    // RC2 0 - 18 = -18, RC3 26 - 10 = 16 -> RC3 only (the negative ones are not reported).
    auto p = pmml_test::score(*above, {{"department", "engineering"}, {"age", 25.0}, {"income", 500.0}});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == 129.0);
    CHECK(text_out(*above, p, "Reason Code 1") == "RC3");
    CHECK(text_out(*above, p, "Reason Code 2") == "<missing>");
    // marketing (19), age 40 (12), income 3000 (5, RC2_3): points above RC1 0, RC2 -6, RC2_3 -5 ->
    // RC1 (zero points are reported).
    p = pmml_test::score(*above, {{"department", "marketing"}, {"age", 40.0}, {"income", 3000.0}});
    CHECK(p.value.as_number() == 136.0);
    CHECK(text_out(*above, p, "Reason Code 1") == "RC1");
    CHECK(text_out(*above, p, "Reason Code 2") == "<missing>");
    // The ageScore baseline removed: the Scorecard's baselineScore="30" applies to it.
    auto model_level =
        pmml::load(replace(replace(doc, "reasonCode=\"RC2\" baselineScore=\"18\"", "reasonCode=\"RC2\""),
                           "baselineMethod=\"other\"", "baselineMethod=\"other\" baselineScore=\"30\""));
    // Points below: RC1 16, RC2 30 - 0 = 30, RC3 -16 -> RC2 first; with age 40 (12): RC2 30 - 12 = 18
    // still above RC1 (16).
    p = pmml_test::score(*model_level, {{"department", "engineering"}, {"age", 40.0}, {"income", 500.0}});
    CHECK(text_out(*model_level, p, "Reason Code 1") == "RC2");
    CHECK(text_out(*model_level, p, "Reason Code 2") == "RC1");
    // useReasonCodes="false": no baselines or codes needed; reasonCode outputs are refused.
    std::string plain = replace(doc, "useReasonCodes=\"true\"", "useReasonCodes=\"false\"");
    CHECK_THAT(load_error<invalid_value_error>(plain), Catch::Contains("<OutputField> at line"));
}

TEST_CASE("Scorecard: malformed documents are refused with element and line", "[pmml][scorecard]") {
    auto doc = read_data("scorecard.pmml");
    CHECK_THAT(load_error<invalid_value_error>(replace(doc, "pointsBelow", "pointsSideways")),
               Catch::Contains("<Scorecard> at line 12") && Catch::Contains("pointsSideways"));
    CHECK_THAT(load_error<invalid_value_error>(
                   replace(doc, "baselineMethod=\"other\"", "baselineMethod=\"median\"")),
               Catch::Contains("<Scorecard> at line 12"));
    CHECK_THAT(load_error<parse_error>(replace(doc, "<Attribute partialScore=\"19\">", "<Attribute>")),
               Catch::Contains("<Attribute> at line 30") && Catch::Contains("partialScore"));
    CHECK_THAT(load_error<invalid_value_error>(
                   replace(doc, "reasonCode=\"RC3\" baselineScore=\"10\"", "reasonCode=\"RC3\"")),
               Catch::Contains("<Characteristic> at line 45") && Catch::Contains("baselineScore"));
    CHECK_THAT(load_error<invalid_value_error>(
                   replace(doc, "name=\"departmentScore\" reasonCode=\"RC1\"", "name=\"departmentScore\"")),
               Catch::Contains("<Attribute> at line 29") && Catch::Contains("reasonCode"));
    CHECK_THAT(
        load_error<parse_error>(replace(doc,
                                        "<Attribute partialScore=\"6\"><SimplePredicate field=\"department\" "
                                        "operator=\"equal\" value=\"business\"/></Attribute>",
                                        "<Attribute partialScore=\"6\"></Attribute>")),
        Catch::Contains("<Attribute> at line 32") && Catch::Contains("predicate"));
    CHECK_THAT(load_error<unsupported_error>(
                   replace(doc, "functionName=\"regression\"", "functionName=\"classification\"")),
               Catch::Contains("<Scorecard> at line 12"));
}

// ---- NearestNeighborModel ----------------------------------------------------------------------

// Training instances (id: x1, x2 -> y): 1: (0,0) -> 1; 2: (1,0) -> 2; 3: (0,2) -> 4; 4: (3,3) -> 8;
// 5: (5,5) -> 16. From the query (0.5, 0.5) the euclidean distances are
//   d1 = sqrt(0.25 + 0.25) = 0.70711, d2 = sqrt(0.25 + 0.25) = 0.70711, d3 = sqrt(0.25 + 2.25) = 1.58114,
//   d4 = sqrt(6.25 + 6.25) = 3.53553, d5 = sqrt(20.25 + 20.25) = 6.36396,
// so the three nearest are 1, 2 (tied, training order) and 3.

TEST_CASE("NearestNeighborModel regression: average, median, weightedAverage; neighbour outputs",
          "[pmml][knn]") {
    auto doc = read_data("knn.pmml");
    auto m = pmml::load(doc);
    CHECK(m->describe().details == "5 training instances, 2 inputs, k=3, euclidean");
    auto p = pmml_test::score(*m, {{"x1", 0.5}, {"x2", 0.5}});
    REQUIRE(p.ok());
    // average of y over 1, 2, 3: (1 + 2 + 4) / 3
    CHECK(p.value.as_number() == Approx(7.0 / 3).epsilon(1e-15));
    CHECK(text_out(*m, p, "neighbor1") == "1");
    CHECK(text_out(*m, p, "neighbor2") == "2");
    CHECK(text_out(*m, p, "neighbor3") == "3");
    CHECK(number_out(*m, p, "distance1") == Approx(std::sqrt(0.5)).epsilon(1e-15));
    // From (2.5, 2.5): d4 = sqrt(0.5), d3 = sqrt(6.25 + 0.25) = sqrt(6.5), d2 = sqrt(2.25 + 6.25) =
    // sqrt(8.5), d1 = d5 = sqrt(12.5): neighbours 4, 3, 2 -> (8 + 4 + 2) / 3.
    p = pmml_test::score(*m, {{"x1", 2.5}, {"x2", 2.5}});
    CHECK(p.value.as_number() == Approx(14.0 / 3).epsilon(1e-15));
    CHECK(text_out(*m, p, "neighbor1") == "4");

    auto med =
        pmml::load(replace(doc, "continuousScoringMethod=\"average\"", "continuousScoringMethod=\"median\""));
    // median of {1, 2, 4} = 2; of {8, 4, 2} = 4.
    CHECK(pmml_test::score(*med, {{"x1", 0.5}, {"x2", 0.5}}).value.as_number() == 2.0);
    CHECK(pmml_test::score(*med, {{"x1", 2.5}, {"x2", 2.5}}).value.as_number() == 4.0);
    auto med4 = pmml::load(
        replace(replace(doc, "continuousScoringMethod=\"average\"", "continuousScoringMethod=\"median\""),
                "numberOfNeighbors=\"3\"", "numberOfNeighbors=\"4\""));
    // k = 4 from (0.5, 0.5): {1, 2, 4, 8}: (2 + 4) / 2 = 3.
    CHECK(pmml_test::score(*med4, {{"x1", 0.5}, {"x2", 0.5}}).value.as_number() == 3.0);

    auto wa = pmml::load(
        replace(doc, "continuousScoringMethod=\"average\"", "continuousScoringMethod=\"weightedAverage\""));
    // weights 1 / (d + threshold), threshold 0.001.
    double w1 = 1 / (std::sqrt(0.5) + 0.001), w3 = 1 / (std::sqrt(2.5) + 0.001);
    double expect = (w1 * 1 + w1 * 2 + w3 * 4) / (w1 + w1 + w3);
    CHECK(pmml_test::score(*wa, {{"x1", 0.5}, {"x2", 0.5}}).value.as_number() ==
          Approx(expect).epsilon(1e-14));

    // A missing input: only x1 is compared and the sum is scaled by total weight / compared weight
    // (2 / 1). From x1 = 0.2: d1 = sqrt(2 * 0.04), d3 = sqrt(2 * 0.04), d2 = sqrt(2 * 0.64) ->
    // neighbours 1, 3, 2 -> (1 + 4 + 2) / 3.
    p = pmml_test::score(*m, {{"x1", 0.2}, In("x2")});
    REQUIRE(p.ok());
    CHECK(p.value.as_number() == Approx(7.0 / 3).epsilon(1e-15));
    CHECK(text_out(*m, p, "neighbor2") == "3");
}

TEST_CASE("NearestNeighborModel distance measures and field weights", "[pmml][knn]") {
    auto doc = read_data("knn.pmml");
    auto nearest = [&](const std::string& measure, const std::string& weights, double x1, double x2) {
        auto text = replace(doc, "<euclidean/>", measure);
        if (!weights.empty()) text = replace(text, "<KNNInput field=\"x2\"/>", weights);
        auto m = pmml::load(text);
        auto p = pmml_test::score(*m, {{"x1", x1}, {"x2", x2}});
        REQUIRE(p.ok());
        return std::make_pair(
            text_out(*m, p, "neighbor1") + text_out(*m, p, "neighbor2") + text_out(*m, p, "neighbor3"),
            number_out(*m, p, "distance1"));
    };
    // cityBlock from (0, 1.5): 1: 1.5, 2: 1 + 1.5 = 2.5, 3: 0.5, 4: 3 + 1.5 = 4.5 -> 3, 1, 2.
    CHECK(nearest("<cityBlock/>", "", 0, 1.5) == std::make_pair(std::string("312"), 0.5));
    // chebychev from (2, 1): 1: max(2, 1) = 2, 2: max(1, 1) = 1, 3: max(2, 1) = 2, 4: max(1, 2) = 2
    // -> 2, then 1, 3, 4 tie at 2 (training order) -> 2, 1, 3.
    CHECK(nearest("<chebychev/>", "", 2, 1) == std::make_pair(std::string("213"), 1.0));
    // squaredEuclidean with x2 weighted 10, from (0, 1): 1: 0 + 10 * 1 = 10, 2: 1 + 10 = 11,
    // 3: 0 + 10 * 1 = 10, 4: 9 + 10 * 4 = 49 -> 1, 3, 2; distance 10.
    CHECK(nearest("<squaredEuclidean/>", "<KNNInput field=\"x2\" fieldWeight=\"10\"/>", 0, 1) ==
          std::make_pair(std::string("132"), 10.0));
    // minkowski p = 3 from (1, 1): 1: (1 + 1)^(1/3), 2: (0 + 1)^(1/3) = 1, 3: (1 + 1)^(1/3),
    // 4: (8 + 8)^(1/3) -> 2, 1, 3.
    auto mk = nearest("<minkowski p-parameter=\"3\"/>", "", 1, 1);
    CHECK(mk.first == "213");
    CHECK(mk.second == Approx(1.0).epsilon(1e-15));
}

TEST_CASE("NearestNeighborModel classification: majority votes and binary similarities", "[pmml][knn]") {
    const std::string dict =
        "<DataField name=\"b1\" optype=\"continuous\" dataType=\"double\"/>\n"
        "<DataField name=\"b2\" optype=\"continuous\" dataType=\"double\"/>\n"
        "<DataField name=\"b3\" optype=\"continuous\" dataType=\"double\"/>\n"
        "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"/>\n";
    auto body = [](const std::string& method, const std::string& measure, const std::string& kind) {
        return "<NearestNeighborModel functionName=\"classification\" numberOfNeighbors=\"3\" "
               "categoricalScoringMethod=\"" +
               method +
               "\">\n<MiningSchema><MiningField name=\"b1\"/><MiningField name=\"b2\"/><MiningField "
               "name=\"b3\"/>"
               "<MiningField name=\"c\" usageType=\"predicted\"/></MiningSchema>\n"
               "<Output><OutputField name=\"p_x\" feature=\"probability\" value=\"x\"/>"
               "<OutputField name=\"aff\" feature=\"affinity\" rank=\"1\"/></Output>\n"
               "<TrainingInstances><InstanceFields><InstanceField field=\"b1\"/><InstanceField field=\"b2\"/>"
               "<InstanceField field=\"b3\"/><InstanceField field=\"c\"/></InstanceFields>\n<InlineTable>"
               "<row><b1>1</b1><b2>1</b2><b3>0</b3><c>x</c></row>"
               "<row><b1>1</b1><b2>0</b2><b3>1</b3><c>y</c></row>"
               "<row><b1>0</b1><b2>1</b2><b3>1</b3><c>x</c></row>"
               "<row><b1>0</b1><b2>0</b2><b3>0</b3><c>y</c></row>"
               "</InlineTable></TrainingInstances>\n"
               "<ComparisonMeasure kind=\"" +
               kind + "\">" + measure +
               "</ComparisonMeasure>\n"
               "<KNNInputs><KNNInput field=\"b1\"/><KNNInput field=\"b2\"/><KNNInput "
               "field=\"b3\"/></KNNInputs>\n"
               "</NearestNeighborModel>\n";
    };
    // Query (1, 0, 0). Counts (a11, a10, a01, a00) with a10 = record 1 / instance 0:
    //   row 1 (1,1,0): a11 = 1, a01 = 1, a00 = 1; row 2 (1,0,1): a11 = 1, a01 = 1, a00 = 1;
    //   row 3 (0,1,1): a10 = 1, a01 = 2; row 4 (0,0,0): a10 = 1, a00 = 2.
    // jaccard a11 / (a11 + a10 + a01): 1/2, 1/2, 0, 0 -> rows 1, 2, then 3 (ties: training order):
    // votes x (rows 1, 3) 2 : y 1 -> x, p(x) = 2/3.
    auto m = pmml::load(document(dict, body("majorityVote", "<jaccard/>", "similarity")));
    auto p = pmml_test::score(*m, {{"b1", 1.0}, {"b2", 0.0}, {"b3", 0.0}});
    REQUIRE(p.ok());
    CHECK(to_string(p.value) == "x");
    CHECK(number_out(*m, p, "p_x") == Approx(2.0 / 3).epsilon(1e-15));
    CHECK(number_out(*m, p, "aff") == 0.5);
    // simpleMatching (a11 + a00) / 3: 2/3, 2/3, 0, 2/3 -> rows 1, 2, 4 -> x 1 : y 2 -> y.
    m = pmml::load(document(dict, body("majorityVote", "<simpleMatching/>", "similarity")));
    p = pmml_test::score(*m, {{"b1", 1.0}, {"b2", 0.0}, {"b3", 0.0}});
    CHECK(to_string(p.value) == "y");
    CHECK(number_out(*m, p, "aff") == Approx(2.0 / 3).epsilon(1e-15));
    // tanimoto (a11 + a00) / (a11 + 2 (a10 + a01) + a00): 2/4, 2/4, 0/6, 2/4 -> rows 1, 2, 4 -> y.
    m = pmml::load(document(dict, body("majorityVote", "<tanimoto/>", "similarity")));
    p = pmml_test::score(*m, {{"b1", 1.0}, {"b2", 0.0}, {"b3", 0.0}});
    CHECK(to_string(p.value) == "y");
    CHECK(number_out(*m, p, "aff") == 0.5);
    // binarySimilarity with c11 = 1, c10 = c01 = 0, c00 = 0 over d = 1 everywhere: a11 / 3:
    // 1/3, 1/3, 0, 0 -> same neighbours as jaccard -> x.
    m = pmml::load(document(dict, body("majorityVote",
                                       "<binarySimilarity c00-parameter=\"0\" c01-parameter=\"0\" "
                                       "c10-parameter=\"0\" c11-parameter=\"1\" d00-parameter=\"1\" "
                                       "d01-parameter=\"1\" d10-parameter=\"1\" d11-parameter=\"1\"/>",
                                       "similarity")));
    p = pmml_test::score(*m, {{"b1", 1.0}, {"b2", 0.0}, {"b3", 0.0}});
    CHECK(to_string(p.value) == "x");
    CHECK(number_out(*m, p, "aff") == Approx(1.0 / 3).epsilon(1e-15));
    // Euclidean distance from (1, 0, 0): row 1 1, row 2 1, row 3 sqrt(3), row 4 1 -> rows 1, 2, 4:
    // majority y (2 : 1). Weighted by 1 / (d + 0.001): x 1/1.001, y 2/1.001 -> still y, p(x) = 1/3.
    m = pmml::load(document(dict, body("weightedMajorityVote", "<euclidean/>", "distance")));
    p = pmml_test::score(*m, {{"b1", 1.0}, {"b2", 0.0}, {"b3", 0.0}});
    CHECK(to_string(p.value) == "y");
    CHECK(number_out(*m, p, "p_x") == Approx(1.0 / 3).epsilon(1e-15));
    // From (0, 1, 1): row 3 at 0, rows 1, 2, 4 at sqrt(2): neighbours 3, 1, 2 -> x (rows 3, 1).
    // Weighted: x 1/0.001 + 1/(sqrt(2) + 0.001), y 1/(sqrt(2) + 0.001).
    p = pmml_test::score(*m, {{"b1", 0.0}, {"b2", 1.0}, {"b3", 1.0}});
    CHECK(to_string(p.value) == "x");
    double wx = 1 / 0.001 + 1 / (std::sqrt(2.0) + 0.001), wy = 1 / (std::sqrt(2.0) + 0.001);
    CHECK(number_out(*m, p, "p_x") == Approx(wx / (wx + wy)).epsilon(1e-14));
}

TEST_CASE("NearestNeighborModel: malformed documents are refused with element and line", "[pmml][knn]") {
    auto doc = read_data("knn.pmml");
    CHECK_THAT(
        load_error<invalid_value_error>(replace(doc, "numberOfNeighbors=\"3\"", "numberOfNeighbors=\"0\"")),
        Catch::Contains("<NearestNeighborModel> at line 13"));
    CHECK_THAT(load_error<invalid_value_error>(replace(doc, "<euclidean/>", "<jaccard/>")),
               Catch::Contains("<ComparisonMeasure> at line"));
    CHECK_THAT(load_error<invalid_value_error>(replace(doc, "<euclidean/>", "<mahalanobis/>")),
               Catch::Contains("<mahalanobis> at line") && Catch::Contains("unknown comparison measure"));
    CHECK_THAT(load_error<invalid_value_error>(replace(doc, "<ComparisonMeasure kind=\"distance\">",
                                                       "<ComparisonMeasure kind=\"distance\" "
                                                       "compareFunction=\"table\">")),
               Catch::Contains("<ComparisonMeasure> at line") && Catch::Contains("table"));
    CHECK_THAT(
        load_error<invalid_value_error>(replace(doc, "<data:x1>1</data:x1>", "<data:x1>one</data:x1>")),
        Catch::Contains("<row> at line 35") && Catch::Contains("'one'"));
    CHECK_THAT(load_error<invalid_value_error>(replace(doc, "<data:x2>5</data:x2>", "")),
               Catch::Contains("<row> at line 38") && Catch::Contains("x2"));
    CHECK_THAT(
        load_error<invalid_value_error>(replace(doc, "<KNNInput field=\"x2\"/>", "<KNNInput field=\"x9\"/>")),
        Catch::Contains("<KNNInput> at line") && Catch::Contains("x9"));
    CHECK_THAT(load_error<invalid_value_error>(replace(doc, "rank=\"3\"", "rank=\"4\"")),
               Catch::Contains("<OutputField> at line") && Catch::Contains("numberOfNeighbors"));
    CHECK_THAT(load_error<invalid_value_error>(
                   replace(doc, "continuousScoringMethod=\"average\"", "continuousScoringMethod=\"mode\"")),
               Catch::Contains("<NearestNeighborModel> at line 13") && Catch::Contains("mode"));
}

TEST_CASE("NearestNeighborModel: categorical inputs by delta, no target (neighbour ids only)",
          "[pmml][knn]") {
    const std::string dict =
        "<DataField name=\"color\" optype=\"categorical\" dataType=\"string\"/>\n"
        "<DataField name=\"size\" optype=\"continuous\" dataType=\"double\"/>\n"
        "<DataField name=\"key\" optype=\"categorical\" dataType=\"string\"/>\n";
    const std::string body =
        "<NearestNeighborModel functionName=\"mixed\" numberOfNeighbors=\"2\" instanceIdVariable=\"key\">\n"
        "<MiningSchema><MiningField name=\"color\"/><MiningField name=\"size\"/></MiningSchema>\n"
        "<Output><OutputField name=\"n1\" feature=\"entityId\" rank=\"1\"/>"
        "<OutputField name=\"n2\" feature=\"entityId\" rank=\"2\"/>"
        "<OutputField name=\"d1\" feature=\"affinity\" rank=\"1\"/></Output>\n"
        "<TrainingInstances><InstanceFields><InstanceField field=\"key\"/><InstanceField field=\"color\"/>"
        "<InstanceField field=\"size\"/></InstanceFields>\n<InlineTable>"
        "<row><key>k1</key><color>red</color><size>1</size></row>"
        "<row><key>k2</key><color>blue</color><size>1.5</size></row>"
        "<row><key>k3</key><color>red</color><size>4</size></row>"
        "</InlineTable></TrainingInstances>\n"
        "<ComparisonMeasure kind=\"distance\" compareFunction=\"absDiff\"><cityBlock/></ComparisonMeasure>\n"
        "<KNNInputs><KNNInput field=\"color\" compareFunction=\"delta\" fieldWeight=\"3\"/>"
        "<KNNInput field=\"size\"/></KNNInputs>\n"
        "</NearestNeighborModel>\n";
    auto m = pmml::load(document(dict, body));
    // (red, 2): k1 3 * 0 + |2 - 1| = 1, k2 3 * 1 + 0.5 = 3.5, k3 3 * 0 + 2 = 2 -> k1, k3.
    auto p = pmml_test::score(*m, {{"color", "red"}, {"size", 2.0}});
    REQUIRE(p.ok());
    CHECK(p.value.is_missing());
    CHECK(text_out(*m, p, "n1") == "k1");
    CHECK(text_out(*m, p, "n2") == "k3");
    CHECK(number_out(*m, p, "d1") == 1.0);
    // (green, 1.5): a colour no instance has differs from all: k1 3 + 0.5, k2 3 + 0, k3 3 + 2.5 -> k2, k1.
    p = pmml_test::score(*m, {{"color", "green"}, {"size", 1.5}});
    CHECK(text_out(*m, p, "n1") == "k2");
    CHECK(text_out(*m, p, "n2") == "k1");
    CHECK(number_out(*m, p, "d1") == 3.0);
    CHECK(m->describe().function == "mixed");
    // A categorical input compared by absDiff (the measure's default) has no meaning: refused.
    CHECK_THAT(load_error<invalid_value_error>(
                   replace(document(dict, body), " compareFunction=\"delta\" fieldWeight", " fieldWeight")),
               Catch::Contains("<KNNInput> at line") && Catch::Contains("color"));
}

TEST_CASE("RuleSetModel as a segment of a MiningModel", "[pmml][ruleset]") {
    // Two segments: records with s == "k" go to a firstHit rule set, the others to a weightedMax
    // one (selectFirst). The rule sets are those of the tests above, without their Output.
    auto strip = [](std::string body) {
        auto b = body.find("<Output>"), e = body.find("</Output>");
        return body.erase(b, e + 9 - b);
    };
    std::string body =
        "<MiningModel functionName=\"classification\">\n<MiningSchema><MiningField name=\"x\"/>"
        "<MiningField name=\"s\"/><MiningField name=\"c\" usageType=\"predicted\"/></MiningSchema>\n"
        "<Segmentation multipleModelMethod=\"selectFirst\">\n"
        "<Segment id=\"1\"><SimplePredicate field=\"s\" operator=\"equal\" value=\"k\"/>\n" +
        strip(ruleset("firstHit")) + "</Segment>\n<Segment id=\"2\"><True/>\n" +
        strip(ruleset("weightedMax")) + "</Segment>\n</Segmentation>\n</MiningModel>\n";
    auto m = pmml::load(document(rules_dict, body));
    // s = "k", x = 20: firstHit -> r1 (a); the weightedMax set would say b (r2, weight 0.9).
    CHECK(to_string(pmml_test::score(*m, {{"x", 20.0}, {"s", "k"}}).value) == "a");
    // s = "q", x = 20: weightedMax over r1 (0.5) and r4 (0.2) -> a; x = 7: only r4 -> b.
    CHECK(to_string(pmml_test::score(*m, {{"x", 20.0}, {"s", "q"}}).value) == "a");
    CHECK(to_string(pmml_test::score(*m, {{"x", 7.0}, {"s", "q"}}).value) == "b");
}
