// NaiveBayesModel on small hand-written documents: PairCounts, Gaussian and Poisson
// TargetValueStats, the threshold for zero counts and small densities, missing inputs, a
// DerivedField (Discretize) inside a BayesInput, and malformed documents. The likelihoods
// L_k = count[T_k] * prod_j P(I_j | T_k) are worked out in the test; P(T_k) = L_k / sum L.

#include "pmml_test_util.hpp"

#include <scorestream/error.hpp>

#include <cmath>

using namespace scorestream;
using pmml_test::document;
using pmml_test::number_out;

namespace {

const std::string dict =
    "<DataField name=\"T\" optype=\"categorical\" dataType=\"string\"><Value value=\"p\"/><Value "
    "value=\"q\"/></DataField>\n"
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"a\"/><Value "
    "value=\"b\"/></DataField>\n"
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"n\" optype=\"continuous\" dataType=\"integer\"/>\n";

std::string counts(int p, int q) {
    return "<TargetValueCounts><TargetValueCount value=\"p\" count=\"" + std::to_string(p) +
           "\"/><TargetValueCount value=\"q\" count=\"" + std::to_string(q) + "\"/></TargetValueCounts>";
}

std::string model(const std::string& inputs, const std::string& threshold = "threshold=\"0.001\"") {
    return "<NaiveBayesModel functionName=\"classification\" " + threshold +
           "><MiningSchema><MiningField name=\"T\" usageType=\"predicted\"/><MiningField name=\"c\"/>"
           "<MiningField name=\"x\"/><MiningField name=\"n\"/></MiningSchema>"
           "<Output><OutputField name=\"P_p\" feature=\"probability\" value=\"p\"/>"
           "<OutputField name=\"P_q\" feature=\"probability\" value=\"q\"/></Output><BayesInputs>" +
           inputs + "</BayesInputs><BayesOutput fieldName=\"T\">" + counts(3, 1) +
           "</BayesOutput></NaiveBayesModel>\n";
}

// c: a -> (p 2, q 0), b -> (p 1, q 1); so P(a|p) = 2/3, P(a|q) = 0 (threshold), P(b|p) = 1/3, P(b|q) = 1.
const std::string c_input = "<BayesInput fieldName=\"c\"><PairCounts value=\"a\">" + counts(2, 0) +
                            "</PairCounts><PairCounts value=\"b\">" + counts(1, 1) +
                            "</PairCounts></BayesInput>";
// x: Gaussian N(0, 1) under p, N(1, 4) under q.
const std::string x_input =
    "<BayesInput fieldName=\"x\"><TargetValueStats>"
    "<TargetValueStat value=\"p\"><GaussianDistribution mean=\"0\" variance=\"1\"/></TargetValueStat>"
    "<TargetValueStat value=\"q\"><GaussianDistribution mean=\"1\" variance=\"4\"/></TargetValueStat>"
    "</TargetValueStats></BayesInput>";

double normal_density(double x, double mean, double sd) {
    const double pi = 3.14159265358979323846;
    return std::exp(-0.5 * ((x - mean) / sd) * ((x - mean) / sd)) / (sd * std::sqrt(2 * pi));
}

void check(const pmml::PmmlModel& m, std::initializer_list<pmml_test::In> in, const char* winner, double lp,
           double lq) {
    auto p = pmml_test::score(m, in);
    INFO(p.error);
    REQUIRE(p.ok());
    CHECK(to_string(p.value) == winner);
    CHECK(number_out(m, p, "P_p") == Approx(lp / (lp + lq)).epsilon(1e-13));
    CHECK(number_out(m, p, "P_q") == Approx(lq / (lp + lq)).epsilon(1e-13));
}

}  // namespace

TEST_CASE("NaiveBayesModel: PairCounts and Gaussian inputs", "[pmml][naive_bayes]") {
    auto m = pmml::load(document(dict, model(c_input + x_input)));
    SECTION("c = a, x = 0: L_p = 3 * 2/3 * N(0; 0, 1), L_q = 1 * 0.001 * N(0; 1, 2)") {
        check(*m, {{"c", "a"}, {"x", 0.0}}, "p", 3 * (2.0 / 3) * normal_density(0, 0, 1),
              1 * 0.001 * normal_density(0, 1, 2));
    }
    SECTION("c = b, x = 1: L_p = 3 * 1/3 * N(1; 0, 1), L_q = 1 * 1 * N(1; 1, 2)") {
        check(*m, {{"c", "b"}, {"x", 1.0}}, "p", 3 * (1.0 / 3) * normal_density(1, 0, 1),
              1 * 1.0 * normal_density(1, 1, 2));
    }
    SECTION("x missing contributes nothing: L_p = 3 * 2/3 = 2, L_q = 1 * 0.001") {
        check(*m, {{"c", "a"}}, "p", 2.0, 0.001);
    }
    SECTION("densities below the threshold count as the threshold: x = 50") {
        // N(50; 0, 1) underflows to 0 and N(50; 1, 2) is about 1e-131: both become 0.001.
        check(*m, {{"c", "a"}, {"x", 50.0}}, "p", 2.0 * 0.001, 0.001 * 0.001);
    }
    SECTION("every input missing: the priors 3 : 1") { check(*m, {}, "p", 3.0, 1.0); }
}

TEST_CASE("NaiveBayesModel: Poisson inputs", "[pmml][naive_bayes]") {
    auto m = pmml::load(document(
        dict, model("<BayesInput fieldName=\"n\"><TargetValueStats>"
                    "<TargetValueStat value=\"p\"><PoissonDistribution mean=\"2\"/></TargetValueStat>"
                    "<TargetValueStat value=\"q\"><PoissonDistribution mean=\"5\"/></TargetValueStat>"
                    "</TargetValueStats></BayesInput>")));
    // n = 3: P(3; 2) = e^-2 2^3 / 3!, P(3; 5) = e^-5 5^3 / 3!; priors 3 and 1.
    check(*m, {{"n", 3.0}}, "p", 3 * std::exp(-2.0) * 8 / 6, 1 * std::exp(-5.0) * 125 / 6);
    // n = 7: P(7; 2) = e^-2 2^7 / 7!, P(7; 5) = e^-5 5^7 / 7!.
    check(*m, {{"n", 7.0}}, "q", 3 * std::exp(-2.0) * 128 / 5040, 1 * std::exp(-5.0) * 78125 / 5040);
}

TEST_CASE("NaiveBayesModel: a DerivedField bins a continuous input", "[pmml][naive_bayes]") {
    std::string binned =
        "<BayesInput fieldName=\"x\"><DerivedField name=\"x_bin\" optype=\"categorical\" dataType=\"string\">"
        "<Discretize field=\"x\"><DiscretizeBin binValue=\"lo\"><Interval closure=\"openOpen\" "
        "rightMargin=\"0.5\"/></DiscretizeBin><DiscretizeBin binValue=\"hi\"><Interval "
        "closure=\"closedOpen\" "
        "leftMargin=\"0.5\"/></DiscretizeBin></Discretize></DerivedField>"
        "<PairCounts value=\"lo\">" +
        counts(1, 2) + "</PairCounts><PairCounts value=\"hi\">" + counts(2, 0) + "</PairCounts></BayesInput>";
    auto m = pmml::load(document(dict, model(binned)));
    // x = 1 is "hi": L_p = 3 * 2/3 = 2, L_q = 1 * 0.001 (zero count). x = 0 is "lo": 3 * 1/3 = 1 and 1 * 2/2
    // = 1.
    check(*m, {{"x", 1.0}}, "p", 2.0, 0.001);
    check(*m, {{"x", 0.0}}, "p", 1.0, 1.0);  // a tie goes to the first class
}

TEST_CASE("NaiveBayesModel: malformed documents are refused with element and line", "[pmml][naive_bayes]") {
    auto error_of = [](const std::string& body) { return pmml_test::error_text(document(dict, body)); };
    SECTION("no threshold") {
        CHECK_THROWS_AS(pmml::load(document(dict, model(c_input, ""))), parse_error);
        CHECK_THAT(error_of(model(c_input, "")),
                   Catch::Contains("<NaiveBayesModel> at line") && Catch::Contains("'threshold'"));
    }
    SECTION("a count for a class BayesOutput does not have") {
        std::string bad = c_input;
        bad.replace(bad.find("value=\"q\""), 9, "value=\"r\"");
        CHECK_THAT(error_of(model(bad)),
                   Catch::Contains("<TargetValueCount> at line") && Catch::Contains("'r'"));
    }
    SECTION("a Gaussian with variance 0") {
        std::string bad = x_input;
        bad.replace(bad.find("variance=\"1\""), 12, "variance=\"0\"");
        CHECK_THAT(error_of(model(bad)),
                   Catch::Contains("<GaussianDistribution> at line") && Catch::Contains("variance"));
    }
    SECTION("distributions other than Gaussian and Poisson are unsupported") {
        std::string bad = x_input;
        const std::string gauss = "<GaussianDistribution mean=\"0\" variance=\"1\"/>";
        bad.replace(bad.find(gauss), gauss.size(), "<UniformDistribution lower=\"0\" upper=\"1\"/>");
        CHECK_THROWS_AS(pmml::load(document(dict, model(bad))), unsupported_error);
    }
    SECTION("a BayesInput with neither PairCounts nor TargetValueStats") {
        CHECK_THAT(error_of(model("<BayesInput fieldName=\"c\"/>")), Catch::Contains("<BayesInput> at line"));
    }
}
