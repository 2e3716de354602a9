// x-mathContext="float" in the families beyond trees, regressions and ensembles: general
// regression, neural networks, SVMs, naive Bayes, clustering, k-NN, scorecards, rule sets and
// anomaly detection. Each test scores one small document twice, with the attribute and without it,
// and compares the results for exact equality with values computed here, independently of the
// evaluator: the float32 value with every operation written out on float variables (elementary
// functions evaluated in double on the float argument and rounded to float, as JPMML does), and
// the double value with the same operations in double. Each test also checks that the two differ,
// so the documents really tell float arithmetic from double.

#include "pmml_test_util.hpp"

#include <scorestream/error.hpp>

#include <cmath>

using namespace scorestream;
using pmml_test::document;
using pmml_test::number_out;

namespace {

const std::string dict =
    "<DataField name=\"x\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"z\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"y\" optype=\"continuous\" dataType=\"double\"/>\n"
    "<DataField name=\"c\" optype=\"categorical\" dataType=\"string\"><Value value=\"a\"/><Value "
    "value=\"b\"/></DataField>\n"
    "<DataField name=\"T\" optype=\"categorical\" dataType=\"string\"><Value value=\"p\"/><Value "
    "value=\"q\"/></DataField>\n";

const std::string math = " x-mathContext=\"float\"";

// The float32 forms of the elementary functions: evaluated in double, rounded to float.
float fexp(float x) { return static_cast<float>(std::exp(static_cast<double>(x))); }
float flog(float x) { return static_cast<float>(std::log(static_cast<double>(x))); }
float fsqrt(float x) { return static_cast<float>(std::sqrt(static_cast<double>(x))); }
float fpow(float x, float y) {
    return static_cast<float>(std::pow(static_cast<double>(x), static_cast<double>(y)));
}

/// Loads the document with and without the attribute (the placeholder MATH marks where it goes).
struct Pair {
    pmml::PmmlModelPtr f, d;
};
Pair load_both(const std::string& body, const std::string& version = "4.3") {
    auto with = [&](const std::string& attr) {
        std::string b = body;
        for (auto at = b.find(" MATH"); at != std::string::npos; at = b.find(" MATH")) b.replace(at, 5, attr);
        return pmml::load(document(dict, b, version));
    };
    return {with(math), with("")};
}

scorestream::Prediction run(const pmml::PmmlModel& m, std::initializer_list<pmml_test::In> in) {
    auto p = pmml_test::score(m, in);
    INFO(p.error);
    REQUIRE(p.ok());
    return p;
}

}  // namespace

TEST_CASE("x-mathContext=float: GeneralRegressionModel (logit link, multinomial)", "[pmml][float]") {
    // eta = 0.1 + 0.7 x - 0.3 x^2 (the x^2 parameter through a PPCell exponent), mu = 1 / (1 + e^-eta)
    auto glm = load_both(
        "<GeneralRegressionModel functionName=\"regression\" modelType=\"generalizedLinear\" "
        "linkFunction=\"logit\" MATH><MiningSchema><MiningField name=\"x\"/><MiningField name=\"y\" "
        "usageType=\"predicted\"/></MiningSchema>"
        "<ParameterList><Parameter name=\"p0\"/><Parameter name=\"p1\"/><Parameter "
        "name=\"p2\"/></ParameterList>"
        "<CovariateList><Predictor name=\"x\"/></CovariateList>"
        "<PPMatrix><PPCell value=\"1\" predictorName=\"x\" parameterName=\"p1\"/>"
        "<PPCell value=\"2\" predictorName=\"x\" parameterName=\"p2\"/></PPMatrix>"
        "<ParamMatrix><PCell parameterName=\"p0\" beta=\"0.1\"/><PCell parameterName=\"p1\" beta=\"0.7\"/>"
        "<PCell parameterName=\"p2\" beta=\"-0.3\"/></ParamMatrix></GeneralRegressionModel>\n");
    const double x = 1.1;
    // float: the parameter values 1, x, x^2, then the sum of beta * value in ParamMatrix order
    float xf = static_cast<float>(x);
    float x2 = fpow(xf, 2.0f);
    float eta = 0.0f;
    eta += 0.1f * 1.0f;
    eta += 0.7f * xf;
    eta += -0.3f * x2;
    float mu = 1.0f / (1.0f + fexp(-eta));
    // double: the same steps
    double eta_d = 0.0;
    eta_d += 0.1 * 1.0;
    eta_d += 0.7 * x;
    eta_d += -0.3 * std::pow(x, 2.0);
    double mu_d = 1.0 / (1.0 + std::exp(-eta_d));
    double got_f = run(*glm.f, {{"x", x}}).value.as_number();
    double got_d = run(*glm.d, {{"x", x}}).value.as_number();
    CHECK(got_f == static_cast<double>(mu));
    CHECK(got_d == mu_d);
    CHECK(got_f != got_d);

    // multinomialLogistic: eta_p = 0.2 + 0.9 x, q is the reference (eta_q = 0);
    // P(k) = e^eta_k / (e^eta_p + e^eta_q)
    auto mn = load_both(
        "<GeneralRegressionModel functionName=\"classification\" modelType=\"multinomialLogistic\" MATH>"
        "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"T\" "
        "usageType=\"predicted\"/></MiningSchema>"
        "<Output><OutputField name=\"Pp\" feature=\"probability\" value=\"p\"/>"
        "<OutputField name=\"Pq\" feature=\"probability\" value=\"q\"/></Output>"
        "<ParameterList><Parameter name=\"p0\"/><Parameter name=\"p1\"/></ParameterList>"
        "<CovariateList><Predictor name=\"x\"/></CovariateList>"
        "<PPMatrix><PPCell value=\"1\" predictorName=\"x\" parameterName=\"p1\"/></PPMatrix>"
        "<ParamMatrix><PCell targetCategory=\"p\" parameterName=\"p0\" beta=\"0.2\"/>"
        "<PCell targetCategory=\"p\" parameterName=\"p1\" beta=\"0.9\"/></ParamMatrix>"
        "</GeneralRegressionModel>\n");
    float etap = 0.0f;
    etap += 0.2f * 1.0f;
    etap += 0.9f * xf;
    float ep = fexp(etap), eq = fexp(0.0f);
    float sum = 0.0f;
    sum += ep;
    sum += eq;
    float pp = ep / sum, pq = eq / sum;
    double etap_d = 0.2 * 1.0 + 0.9 * x;
    double ep_d = std::exp(etap_d), eq_d = std::exp(0.0);
    double sum_d = 0.0 + ep_d + eq_d;
    auto pf = run(*mn.f, {{"x", x}});
    auto pd = run(*mn.d, {{"x", x}});
    CHECK(number_out(*mn.f, pf, "Pp") == static_cast<double>(pp));
    CHECK(number_out(*mn.f, pf, "Pq") == static_cast<double>(pq));
    CHECK(number_out(*mn.d, pd, "Pp") == ep_d / sum_d);
    CHECK(number_out(*mn.d, pd, "Pq") == eq_d / sum_d);
    CHECK(number_out(*mn.f, pf, "Pp") != number_out(*mn.d, pd, "Pp"));
}

TEST_CASE("x-mathContext=float: NeuralNetwork (logistic layer, softmax output layer)", "[pmml][float]") {
    auto nn = load_both(
        "<NeuralNetwork functionName=\"classification\" activationFunction=\"logistic\" MATH>"
        "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"T\" "
        "usageType=\"predicted\"/></MiningSchema>"
        "<Output><OutputField name=\"Pp\" feature=\"probability\" value=\"p\"/>"
        "<OutputField name=\"Pq\" feature=\"probability\" value=\"q\"/></Output>"
        "<NeuralInputs><NeuralInput id=\"i\"><DerivedField optype=\"continuous\" dataType=\"double\">"
        "<FieldRef field=\"x\"/></DerivedField></NeuralInput></NeuralInputs>"
        "<NeuralLayer><Neuron id=\"h1\" bias=\"0.1\"><Con from=\"i\" weight=\"0.7\"/></Neuron>"
        "<Neuron id=\"h2\" bias=\"-0.2\"><Con from=\"i\" weight=\"-0.3\"/></Neuron></NeuralLayer>"
        "<NeuralLayer activationFunction=\"identity\" normalizationMethod=\"softmax\">"
        "<Neuron id=\"o1\" bias=\"0.05\"><Con from=\"h1\" weight=\"1.3\"/><Con from=\"h2\" "
        "weight=\"-0.6\"/></Neuron>"
        "<Neuron id=\"o2\"><Con from=\"h1\" weight=\"-0.4\"/><Con from=\"h2\" weight=\"0.8\"/></Neuron>"
        "</NeuralLayer><NeuralOutputs>"
        "<NeuralOutput outputNeuron=\"o1\"><DerivedField optype=\"categorical\" dataType=\"string\">"
        "<NormDiscrete field=\"T\" value=\"p\"/></DerivedField></NeuralOutput>"
        "<NeuralOutput outputNeuron=\"o2\"><DerivedField optype=\"categorical\" dataType=\"string\">"
        "<NormDiscrete field=\"T\" value=\"q\"/></DerivedField></NeuralOutput>"
        "</NeuralOutputs></NeuralNetwork>\n");
    const double x = 0.9;
    // float: every neuron sums its connections (value * weight) in document order, then its bias
    float xf = static_cast<float>(x);
    float z1 = 0.0f;
    z1 += xf * 0.7f;
    z1 += 0.1f;
    float h1 = 1.0f / (1.0f + fexp(-z1));
    float z2 = 0.0f;
    z2 += xf * -0.3f;
    z2 += -0.2f;
    float h2 = 1.0f / (1.0f + fexp(-z2));
    float a1 = 0.0f;
    a1 += h1 * 1.3f;
    a1 += h2 * -0.6f;
    a1 += 0.05f;
    float a2 = 0.0f;
    a2 += h1 * -0.4f;
    a2 += h2 * 0.8f;
    a2 += 0.0f;
    float e1 = fexp(a1), e2 = fexp(a2);
    float sum = 0.0f;
    sum += e1;
    sum += e2;
    // double: the same steps
    double h1_d = 1.0 / (1.0 + std::exp(-(0.0 + x * 0.7 + 0.1)));
    double h2_d = 1.0 / (1.0 + std::exp(-(0.0 + x * -0.3 + -0.2)));
    double a1_d = 0.0 + h1_d * 1.3 + h2_d * -0.6 + 0.05;
    double a2_d = 0.0 + h1_d * -0.4 + h2_d * 0.8 + 0.0;
    double e1_d = std::exp(a1_d), e2_d = std::exp(a2_d);
    double sum_d = 0.0 + e1_d + e2_d;
    auto pf = run(*nn.f, {{"x", x}});
    auto pd = run(*nn.d, {{"x", x}});
    CHECK(number_out(*nn.f, pf, "Pp") == static_cast<double>(e1 / sum));
    CHECK(number_out(*nn.f, pf, "Pq") == static_cast<double>(e2 / sum));
    CHECK(number_out(*nn.d, pd, "Pp") == e1_d / sum_d);
    CHECK(number_out(*nn.d, pd, "Pq") == e2_d / sum_d);
    CHECK(number_out(*nn.f, pf, "Pp") != number_out(*nn.d, pd, "Pp"));
}

TEST_CASE("x-mathContext=float: SupportVectorMachineModel (radial basis regression)", "[pmml][float]") {
    // y = 0.6 K(r, v1) - 1.1 K(r, v2) + 0.3 with K(r, v) = exp(-0.5 |r - v|^2), v1 = (0.1, 0.7),
    // v2 = (1.3, -0.2)
    auto svm = load_both(
        "<SupportVectorMachineModel functionName=\"regression\" MATH>"
        "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/><MiningField name=\"y\" "
        "usageType=\"predicted\"/></MiningSchema><RadialBasisKernelType gamma=\"0.5\"/>"
        "<VectorDictionary numberOfVectors=\"2\"><VectorFields numberOfFields=\"2\"><FieldRef field=\"x\"/>"
        "<FieldRef field=\"z\"/></VectorFields>"
        "<VectorInstance id=\"v1\"><Array n=\"2\" type=\"real\">0.1 0.7</Array></VectorInstance>"
        "<VectorInstance id=\"v2\"><Array n=\"2\" type=\"real\">1.3 -0.2</Array></VectorInstance>"
        "</VectorDictionary><SupportVectorMachine><SupportVectors numberOfSupportVectors=\"2\">"
        "<SupportVector vectorId=\"v1\"/><SupportVector vectorId=\"v2\"/></SupportVectors>"
        "<Coefficients absoluteValue=\"0.3\"><Coefficient value=\"0.6\"/><Coefficient value=\"-1.1\"/>"
        "</Coefficients></SupportVectorMachine></SupportVectorMachineModel>\n");
    const double x = 0.4, z = 0.9;
    float xf = static_cast<float>(x), zf = static_cast<float>(z);
    auto kernel = [&](float v0, float v1) {
        float d = 0.0f;
        float t = xf - v0;
        d += t * t;
        t = zf - v1;
        d += t * t;
        return fexp(-0.5f * d);
    };
    float k1 = kernel(0.1f, 0.7f), k2 = kernel(1.3f, -0.2f);
    float s = 0.0f;
    s += 0.6f * k1;
    s += -1.1f * k2;
    float y = s + 0.3f;
    auto kernel_d = [&](double v0, double v1) {
        double d = 0.0;
        d += (x - v0) * (x - v0);
        d += (z - v1) * (z - v1);
        return std::exp(-0.5 * d);
    };
    double y_d = 0.0 + 0.6 * kernel_d(0.1, 0.7) + -1.1 * kernel_d(1.3, -0.2) + 0.3;
    double got_f = run(*svm.f, {{"x", x}, {"z", z}}).value.as_number();
    double got_d = run(*svm.d, {{"x", x}, {"z", z}}).value.as_number();
    CHECK(got_f == static_cast<double>(y));
    CHECK(got_d == y_d);
    CHECK(got_f != got_d);
}

TEST_CASE("x-mathContext=float: NaiveBayesModel (PairCounts and a Gaussian input)", "[pmml][float]") {
    // priors p 3, q 1; c: a -> (p 2, q 1), b -> (p 1, q 2); x: N(0.1, 1.7) under p, N(0.9, 2.3) under q
    auto counts = [](int p, int q) {
        return "<TargetValueCounts><TargetValueCount value=\"p\" count=\"" + std::to_string(p) +
               "\"/><TargetValueCount value=\"q\" count=\"" + std::to_string(q) + "\"/></TargetValueCounts>";
    };
    auto nb = load_both(
        "<NaiveBayesModel functionName=\"classification\" threshold=\"0.001\" MATH>"
        "<MiningSchema><MiningField name=\"T\" usageType=\"predicted\"/><MiningField name=\"c\"/>"
        "<MiningField name=\"x\"/></MiningSchema>"
        "<Output><OutputField name=\"Pp\" feature=\"probability\" value=\"p\"/>"
        "<OutputField name=\"Pq\" feature=\"probability\" value=\"q\"/></Output><BayesInputs>"
        "<BayesInput fieldName=\"c\"><PairCounts value=\"a\">" +
        counts(2, 1) + "</PairCounts><PairCounts value=\"b\">" + counts(1, 2) +
        "</PairCounts></BayesInput>"
        "<BayesInput fieldName=\"x\"><TargetValueStats>"
        "<TargetValueStat value=\"p\"><GaussianDistribution mean=\"0.1\" variance=\"1.7\"/></TargetValueStat>"
        "<TargetValueStat value=\"q\"><GaussianDistribution mean=\"0.9\" variance=\"2.3\"/></TargetValueStat>"
        "</TargetValueStats></BayesInput></BayesInputs><BayesOutput fieldName=\"T\">" +
        counts(3, 1) + "</BayesOutput></NaiveBayesModel>\n");
    const double x = 0.4;
    const double pi = 3.14159265358979323846;
    // float: ln prior + ln P(c = a | T) + ln density(x | T), then exp(l - max) normalized
    float xf = static_cast<float>(x);
    auto density = [&](float mean, float variance) {
        float sd = fsqrt(variance);
        float log_norm = flog(sd) + 0.5f * flog(2.0f * static_cast<float>(pi));
        float t = (xf - mean) / sd;
        return fexp(-0.5f * t * t - log_norm);
    };
    float sum_p = 0.0f + 2.0f + 1.0f, sum_q = 0.0f + 1.0f + 2.0f;  // the counts of c under p and q
    float lp = flog(3.0f), lq = flog(1.0f);
    lp = lp + flog(2.0f / sum_p);
    lq = lq + flog(1.0f / sum_q);
    lp = lp + flog(density(0.1f, 1.7f));
    lq = lq + flog(density(0.9f, 2.3f));
    float max = lp > lq ? lp : lq;
    float ep = fexp(lp - max), eq = fexp(lq - max);
    float sum = 0.0f;
    sum += ep;
    sum += eq;
    // double: the same steps
    auto density_d = [&](double mean, double variance) {
        double sd = std::sqrt(variance);
        double log_norm = std::log(sd) + 0.5 * std::log(2.0 * pi);
        double t = (x - mean) / sd;
        return std::exp(-0.5 * t * t - log_norm);
    };
    double lp_d = std::log(3.0) + std::log(2.0 / 3.0) + std::log(density_d(0.1, 1.7));
    double lq_d = std::log(1.0) + std::log(1.0 / 3.0) + std::log(density_d(0.9, 2.3));
    double max_d = lp_d > lq_d ? lp_d : lq_d;
    double ep_d = std::exp(lp_d - max_d), eq_d = std::exp(lq_d - max_d);
    double sum_d = 0.0 + ep_d + eq_d;
    auto pf = run(*nb.f, {{"c", "a"}, {"x", x}});
    auto pd = run(*nb.d, {{"c", "a"}, {"x", x}});
    CHECK(number_out(*nb.f, pf, "Pp") == static_cast<double>(ep / sum));
    CHECK(number_out(*nb.f, pf, "Pq") == static_cast<double>(eq / sum));
    CHECK(number_out(*nb.d, pd, "Pp") == ep_d / sum_d);
    CHECK(number_out(*nb.d, pd, "Pq") == eq_d / sum_d);
    CHECK(number_out(*nb.f, pf, "Pq") != number_out(*nb.d, pd, "Pq"));
}

TEST_CASE("x-mathContext=float: ClusteringModel (weighted euclidean)", "[pmml][float]") {
    // clusters A (0.1, 0.2) and B (1.1, 0.9); field weights 0.7 (x) and 1.3 (z)
    auto km = load_both(
        "<ClusteringModel functionName=\"clustering\" modelClass=\"centerBased\" numberOfClusters=\"2\" MATH>"
        "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/></MiningSchema>"
        "<Output><OutputField name=\"toA\" feature=\"clusterAffinity\" value=\"A\"/>"
        "<OutputField name=\"toB\" feature=\"clusterAffinity\" value=\"B\"/></Output>"
        "<ComparisonMeasure kind=\"distance\"><euclidean/></ComparisonMeasure>"
        "<ClusteringField field=\"x\" fieldWeight=\"0.7\"/><ClusteringField field=\"z\" fieldWeight=\"1.3\"/>"
        "<Cluster id=\"A\"><Array n=\"2\" type=\"real\">0.1 0.2</Array></Cluster>"
        "<Cluster id=\"B\"><Array n=\"2\" type=\"real\">1.1 0.9</Array></Cluster></ClusteringModel>\n");
    const double x = 0.45, z = 0.35;
    float xf = static_cast<float>(x), zf = static_cast<float>(z);
    // float: no input missing, so the adjustment is (1 + 1) / (1 + 1) = 1
    float adjustment = (0.0f + 1.0f + 1.0f) / (0.0f + 1.0f + 1.0f);
    auto distance = [&](float cx, float cz) {
        float acc = 0.0f;
        float d = std::fabs(xf - cx);
        acc += 0.7f * (d * d);
        d = std::fabs(zf - cz);
        acc += 1.3f * (d * d);
        return fsqrt(acc * adjustment);
    };
    auto distance_d = [&](double cx, double cz) {
        double acc = 0.0;
        acc += 0.7 * ((x - cx) * (x - cx));
        acc += 1.3 * ((z - cz) * (z - cz));
        return std::sqrt(acc * 1.0);
    };
    auto pf = run(*km.f, {{"x", x}, {"z", z}});
    auto pd = run(*km.d, {{"x", x}, {"z", z}});
    CHECK(to_string(pf.value) == "A");
    CHECK(km.f->describe().details ==
          "2 clusters, euclidean distance over 2 fields; float32 arithmetic "
          "(x-mathContext)");
    CHECK(km.d->describe().details == "2 clusters, euclidean distance over 2 fields");
    CHECK(number_out(*km.f, pf, "toA") == static_cast<double>(distance(0.1f, 0.2f)));
    CHECK(number_out(*km.f, pf, "toB") == static_cast<double>(distance(1.1f, 0.9f)));
    CHECK(number_out(*km.d, pd, "toA") == distance_d(0.1, 0.2));
    CHECK(number_out(*km.d, pd, "toB") == distance_d(1.1, 0.9));
    CHECK(number_out(*km.f, pf, "toA") != number_out(*km.d, pd, "toA"));
}

TEST_CASE("x-mathContext=float: NearestNeighborModel (weighted average of 2 neighbours)", "[pmml][float]") {
    // instances (0.1, 0.2) -> 1.5, (1.1, 0.9) -> 2.5, (3, 3) -> 7; k = 2, weights 1 / (d + 0.001)
    auto knn = load_both(
        "<NearestNeighborModel functionName=\"regression\" numberOfNeighbors=\"2\" "
        "continuousScoringMethod=\"weightedAverage\" threshold=\"0.001\" MATH>"
        "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/><MiningField name=\"y\" "
        "usageType=\"predicted\"/></MiningSchema>"
        "<Output><OutputField name=\"d1\" feature=\"affinity\" rank=\"1\"/></Output>"
        "<TrainingInstances><InstanceFields><InstanceField field=\"x\"/><InstanceField field=\"z\"/>"
        "<InstanceField field=\"y\"/></InstanceFields><InlineTable>"
        "<row><x>0.1</x><z>0.2</z><y>1.5</y></row><row><x>1.1</x><z>0.9</z><y>2.5</y></row>"
        "<row><x>3</x><z>3</z><y>7</y></row></InlineTable></TrainingInstances>"
        "<ComparisonMeasure kind=\"distance\"><euclidean/></ComparisonMeasure>"
        "<KNNInputs><KNNInput field=\"x\"/><KNNInput field=\"z\"/></KNNInputs></NearestNeighborModel>\n");
    const double x = 0.45, z = 0.35;
    float xf = static_cast<float>(x), zf = static_cast<float>(z);
    auto distance = [&](float cx, float cz) {
        float acc = 0.0f;
        float v = std::fabs(xf - cx);
        acc += 1.0f * v * v;
        v = std::fabs(zf - cz);
        acc += 1.0f * v * v;
        acc *= (0.0f + 1.0f + 1.0f) / (0.0f + 1.0f + 1.0f);  // every input compared
        return fsqrt(acc);
    };
    // the nearest two are the first two instances (distances about 0.38 and 0.85, the third 3.8)
    float d1 = distance(0.1f, 0.2f), d2 = distance(1.1f, 0.9f);
    float w1 = 1.0f / (d1 + 0.001f), w2 = 1.0f / (d2 + 0.001f);
    float sum = 0.0f, wsum = 0.0f;
    sum += w1 * 1.5f;
    wsum += w1;
    sum += w2 * 2.5f;
    wsum += w2;
    auto distance_d = [&](double cx, double cz) {
        double acc = 0.0;
        acc += 1.0 * std::fabs(x - cx) * std::fabs(x - cx);
        acc += 1.0 * std::fabs(z - cz) * std::fabs(z - cz);
        acc *= 2.0 / 2.0;
        return std::sqrt(acc);
    };
    double d1_d = distance_d(0.1, 0.2), d2_d = distance_d(1.1, 0.9);
    double w1_d = 1.0 / (d1_d + 0.001), w2_d = 1.0 / (d2_d + 0.001);
    double y_d = (0.0 + w1_d * 1.5 + w2_d * 2.5) / (0.0 + w1_d + w2_d);
    auto pf = run(*knn.f, {{"x", x}, {"z", z}});
    auto pd = run(*knn.d, {{"x", x}, {"z", z}});
    CHECK(pf.value.as_number() == static_cast<double>(sum / wsum));
    CHECK(number_out(*knn.f, pf, "d1") == static_cast<double>(d1));
    CHECK(pd.value.as_number() == y_d);
    CHECK(number_out(*knn.d, pd, "d1") == d1_d);
    CHECK(pf.value.as_number() != pd.value.as_number());
}

TEST_CASE("x-mathContext=float: Scorecard and RuleSetModel", "[pmml][float]") {
    // initialScore 0.1; x <= 0.5 scores 0.2 (else 0.7); z always scores 0.35
    auto card = load_both(
        "<Scorecard functionName=\"regression\" useReasonCodes=\"false\" initialScore=\"0.1\" MATH>"
        "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/><MiningField name=\"y\" "
        "usageType=\"predicted\"/></MiningSchema><Characteristics>"
        "<Characteristic name=\"cx\"><Attribute partialScore=\"0.2\"><SimplePredicate field=\"x\" "
        "operator=\"lessOrEqual\" value=\"0.5\"/></Attribute><Attribute "
        "partialScore=\"0.7\"><True/></Attribute>"
        "</Characteristic><Characteristic name=\"cz\"><Attribute partialScore=\"0.35\"><True/></Attribute>"
        "</Characteristic></Characteristics></Scorecard>\n");
    float total = 0.1f;
    total += 0.2f;
    total += 0.35f;
    double total_d = 0.1 + 0.2 + 0.35;
    double got_f = run(*card.f, {{"x", 0.3}, {"z", 1.0}}).value.as_number();
    double got_d = run(*card.d, {{"x", 0.3}, {"z", 1.0}}).value.as_number();
    CHECK(got_f == static_cast<double>(total));
    CHECK(got_d == total_d);
    CHECK(got_f != got_d);

    // weightedSum: two rules for p fire (weights 0.1 and 0.2); the confidence is their total over
    // the number of firing rules
    auto rules = load_both(
        "<RuleSetModel functionName=\"classification\" MATH><MiningSchema><MiningField name=\"x\"/>"
        "<MiningField name=\"T\" usageType=\"predicted\"/></MiningSchema>"
        "<Output><OutputField name=\"conf\" feature=\"confidence\"/></Output>"
        "<RuleSet><RuleSelectionMethod criterion=\"weightedSum\"/>"
        "<SimpleRule id=\"r1\" score=\"p\" weight=\"0.1\"><True/></SimpleRule>"
        "<SimpleRule id=\"r2\" score=\"p\" weight=\"0.2\"><True/></SimpleRule>"
        "<SimpleRule id=\"r3\" score=\"q\" weight=\"0.9\"><SimplePredicate field=\"x\" "
        "operator=\"greaterThan\" "
        "value=\"5\"/></SimpleRule></RuleSet></RuleSetModel>\n");
    float sum = 0.0f;
    sum += 0.1f;
    sum += 0.2f;
    float conf = sum / 2.0f;
    double conf_d = (0.0 + 0.1 + 0.2) / 2;
    auto pf = run(*rules.f, {{"x", 1.0}});
    auto pd = run(*rules.d, {{"x", 1.0}});
    CHECK(to_string(pf.value) == "p");
    CHECK(number_out(*rules.f, pf, "conf") == static_cast<double>(conf));
    CHECK(number_out(*rules.d, pd, "conf") == conf_d);
    CHECK(number_out(*rules.f, pf, "conf") != number_out(*rules.d, pd, "conf"));

    // firstHit with a ScoreDistribution of record counts only: P = count / total
    auto dist = load_both(
        "<RuleSetModel functionName=\"classification\" MATH><MiningSchema><MiningField name=\"x\"/>"
        "<MiningField name=\"T\" usageType=\"predicted\"/></MiningSchema>"
        "<Output><OutputField name=\"Pp\" feature=\"probability\" value=\"p\"/>"
        "<OutputField name=\"Pq\" feature=\"probability\" value=\"q\"/></Output>"
        "<RuleSet><RuleSelectionMethod criterion=\"firstHit\"/>"
        "<SimpleRule id=\"r1\" score=\"q\"><True/><ScoreDistribution value=\"p\" recordCount=\"1\"/>"
        "<ScoreDistribution value=\"q\" recordCount=\"2\"/></SimpleRule></RuleSet></RuleSetModel>\n");
    float counts = 0.0f;
    counts += 1.0f;
    counts += 2.0f;
    pf = run(*dist.f, {{"x", 1.0}});
    pd = run(*dist.d, {{"x", 1.0}});
    CHECK(number_out(*dist.f, pf, "Pp") == static_cast<double>(1.0f / counts));
    CHECK(number_out(*dist.f, pf, "Pq") == static_cast<double>(2.0f / counts));
    CHECK(number_out(*dist.d, pd, "Pp") == 1.0 / (0.0 + 1.0 + 2.0));
    CHECK(number_out(*dist.d, pd, "Pq") == 2.0 / (0.0 + 1.0 + 2.0));
    CHECK(number_out(*dist.f, pf, "Pp") != number_out(*dist.d, pd, "Pp"));
}

TEST_CASE("x-mathContext=float: AnomalyDetectionModel (isolation forest score)", "[pmml][float]") {
    // the inner model (double arithmetic) averages one tree whose leaf scores the path length 3.3;
    // the score is 2^(-3.3 / c(256))
    auto iso = load_both(
        "<AnomalyDetectionModel functionName=\"regression\" algorithmType=\"iforest\" sampleDataSize=\"256\" "
        "MATH><MiningSchema><MiningField name=\"x\"/></MiningSchema>"
        "<MiningModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/></MiningSchema>"
        "<Segmentation multipleModelMethod=\"average\"><Segment id=\"1\"><True/>"
        "<TreeModel functionName=\"regression\"><MiningSchema><MiningField name=\"x\"/></MiningSchema>"
        "<Node score=\"3.3\"><True/></Node></TreeModel></Segment></Segmentation></MiningModel>"
        "</AnomalyDetectionModel>\n",
        "4.4");
    // c(256) = 2 (ln 255 + 0.5772156649) - 2 * 255 / 256, in double as the spec defines it
    double c_n = 2.0 * (std::log(255.0) + 0.5772156649) - 2.0 * 255.0 / 256.0;
    float score = fpow(2.0f, -3.3f / static_cast<float>(c_n));
    double score_d = std::pow(2.0, -3.3 / c_n);
    double got_f = run(*iso.f, {{"x", 1.0}}).value.as_number();
    double got_d = run(*iso.d, {{"x", 1.0}}).value.as_number();
    CHECK(got_f == static_cast<double>(score));
    CHECK(got_d == score_d);
    CHECK(got_f != got_d);
}

TEST_CASE("x-mathContext=float: radial-basis network with NormContinuous, Cox regression, binary similarity",
          "[pmml][float]") {
    const double x = 0.9;
    const float xf = static_cast<float>(x);
    // One radialBasis neuron centred at 0.4 (width 1.3, altitude 1.1), an identity output
    // 1.7 h + 0.2, and the output's NormContinuous (0 -> 0.1, 10 -> 0.9) inverted.
    auto rbf = load_both(
        "<NeuralNetwork functionName=\"regression\" activationFunction=\"identity\" MATH>"
        "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"y\" "
        "usageType=\"predicted\"/></MiningSchema>"
        "<NeuralInputs><NeuralInput id=\"i\"><DerivedField optype=\"continuous\" dataType=\"double\">"
        "<FieldRef field=\"x\"/></DerivedField></NeuralInput></NeuralInputs>"
        "<NeuralLayer activationFunction=\"radialBasis\" width=\"1.3\" altitude=\"1.1\">"
        "<Neuron id=\"h\"><Con from=\"i\" weight=\"0.4\"/></Neuron></NeuralLayer>"
        "<NeuralLayer><Neuron id=\"o\" bias=\"0.2\"><Con from=\"h\" weight=\"1.7\"/></Neuron></NeuralLayer>"
        "<NeuralOutputs><NeuralOutput outputNeuron=\"o\"><DerivedField optype=\"continuous\" "
        "dataType=\"double\"><NormContinuous field=\"y\"><LinearNorm orig=\"0\" norm=\"0.1\"/>"
        "<LinearNorm orig=\"10\" norm=\"0.9\"/></NormContinuous></DerivedField></NeuralOutput>"
        "</NeuralOutputs></NeuralNetwork>\n");
    // float: z = (x - 0.4)^2 / (2 * 1.3 * 1.3), h = exp(1 * ln 1.1 - z)
    float d = xf - 0.4f;
    float z = 0.0f;
    z += d * d;
    z /= 2.0f * 1.3f * 1.3f;
    float h = fexp(1.0f * flog(1.1f) - z);
    float o = 0.0f;
    o += h * 1.7f;
    o += 0.2f;
    float y = 0.0f + (o - 0.1f) * (10.0f - 0.0f) / (0.9f - 0.1f);
    double z_d = (0.0 + (x - 0.4) * (x - 0.4)) / (2.0 * 1.3 * 1.3);
    double o_d = 0.0 + std::exp(1.0 * std::log(1.1) - z_d) * 1.7 + 0.2;
    double y_d = 0.0 + (o_d - 0.1) * (10.0 - 0.0) / (0.9 - 0.1);
    double got_f = run(*rbf.f, {{"x", x}}).value.as_number();
    double got_d = run(*rbf.d, {{"x", x}}).value.as_number();
    CHECK(got_f == static_cast<double>(y));
    CHECK(got_d == y_d);
    CHECK(got_f != got_d);

    // Cox: hazard = h0(t) * exp(0.7 x - 0.7 * 0.3) with h0(2) = 0.15 (the cell of time 1)
    auto cox = load_both(
        "<GeneralRegressionModel functionName=\"regression\" modelType=\"CoxRegression\" "
        "endTimeVariable=\"z\" "
        "MATH><MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/><MiningField name=\"y\" "
        "usageType=\"predicted\"/></MiningSchema>"
        "<ParameterList><Parameter name=\"p1\" referencePoint=\"0.3\"/></ParameterList>"
        "<CovariateList><Predictor name=\"x\"/></CovariateList>"
        "<PPMatrix><PPCell value=\"1\" predictorName=\"x\" parameterName=\"p1\"/></PPMatrix>"
        "<ParamMatrix><PCell parameterName=\"p1\" beta=\"0.7\"/></ParamMatrix>"
        "<BaseCumHazardTables maxTime=\"10\"><BaselineCell time=\"1\" cumHazard=\"0.15\"/>"
        "<BaselineCell time=\"5\" cumHazard=\"0.45\"/></BaseCumHazardTables></GeneralRegressionModel>\n");
    float eta = 0.0f + 0.7f * xf;
    float ref = 0.0f + 0.7f * 0.3f;
    float hazard = 0.15f * fexp(eta - ref);
    double hazard_d = 0.15 * std::exp((0.0 + 0.7 * x) - (0.0 + 0.7 * 0.3));
    got_f = run(*cox.f, {{"x", x}, {"z", 2.0}}).value.as_number();
    got_d = run(*cox.d, {{"x", x}, {"z", 2.0}}).value.as_number();
    CHECK(got_f == static_cast<double>(hazard));
    CHECK(got_d == hazard_d);
    CHECK(got_f != got_d);

    // binarySimilarity over 0/1 inputs: clusters A (1, 0) and B (1, 1); the record (1, 1) has
    // a11 = 1, a10 = 1 against A and a11 = 2 against B
    auto sim = load_both(
        "<ClusteringModel functionName=\"clustering\" modelClass=\"centerBased\" MATH>"
        "<MiningSchema><MiningField name=\"x\"/><MiningField name=\"z\"/></MiningSchema>"
        "<Output><OutputField name=\"toA\" feature=\"clusterAffinity\" value=\"A\"/>"
        "<OutputField name=\"toB\" feature=\"clusterAffinity\" value=\"B\"/></Output>"
        "<ComparisonMeasure kind=\"similarity\"><binarySimilarity c00-parameter=\"0.3\" "
        "c01-parameter=\"0.2\" "
        "c10-parameter=\"0.1\" c11-parameter=\"0.7\" d00-parameter=\"0.9\" d01-parameter=\"0.5\" "
        "d10-parameter=\"0.6\" d11-parameter=\"1.1\"/></ComparisonMeasure>"
        "<ClusteringField field=\"x\"/><ClusteringField field=\"z\"/>"
        "<Cluster id=\"A\"><Array n=\"2\" type=\"real\">1 0</Array></Cluster>"
        "<Cluster id=\"B\"><Array n=\"2\" type=\"real\">1 1</Array></Cluster></ClusteringModel>\n");
    // (c11 a11 + c10 a10 + c01 a01 + c00 a00) / (d11 a11 + d10 a10 + d01 a01 + d00 a00)
    auto ratio = [](float a11, float a10) {
        return (0.7f * a11 + 0.1f * a10 + 0.2f * 0.0f + 0.3f * 0.0f) /
               (1.1f * a11 + 0.6f * a10 + 0.5f * 0.0f + 0.9f * 0.0f);
    };
    auto ratio_d = [](double a11, double a10) {
        return (0.7 * a11 + 0.1 * a10 + 0.2 * 0.0 + 0.3 * 0.0) /
               (1.1 * a11 + 0.6 * a10 + 0.5 * 0.0 + 0.9 * 0.0);
    };
    auto pf = run(*sim.f, {{"x", 1.0}, {"z", 1.0}});
    auto pd = run(*sim.d, {{"x", 1.0}, {"z", 1.0}});
    CHECK(to_string(pf.value) == "B");
    CHECK(number_out(*sim.f, pf, "toA") == static_cast<double>(ratio(1.0f, 1.0f)));
    CHECK(number_out(*sim.f, pf, "toB") == static_cast<double>(ratio(2.0f, 0.0f)));
    CHECK(number_out(*sim.d, pd, "toA") == ratio_d(1.0, 1.0));
    CHECK(number_out(*sim.d, pd, "toB") == ratio_d(2.0, 0.0));
    CHECK(number_out(*sim.f, pf, "toA") != number_out(*sim.d, pd, "toA"));
}
