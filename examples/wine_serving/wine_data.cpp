#include "wine_data.hpp"

#include <Eigen/Dense>

#include <cmath>
#include <cstdio>
#include <sstream>

namespace wine {

const std::vector<std::string>& feature_names() {
    static const std::vector<std::string> names{
        "fixed_acidity",       "volatile_acidity", "citric_acid", "residual_sugar", "chlorides",
        "free_sulfur_dioxide", "density",          "pH",          "sulphates",      "alcohol"};
    return names;
}

generator::generator(std::uint64_t seed, std::size_t drift_every)
    : state_(seed ? seed : 1), drift_every_(drift_every ? drift_every : 1) {}

// xorshift64*: small, fast and reproducible on every platform (std distributions are not).
double generator::uniform() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    const std::uint64_t r = state_ * 2685821657736338717ull;
    return double(r >> 11) * (1.0 / 9007199254740992.0);
}

double generator::normal() {
    // Box-Muller; uniform() is never exactly 1, so 1 - u is never 0.
    const double u1 = 1.0 - uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

sample generator::next() {
    sample s;
    auto between = [this](double lo, double hi) { return lo + (hi - lo) * uniform(); };
    const double fixed_acidity = between(4.5, 12.5);
    const double volatile_acidity = between(0.1, 1.1);
    const double citric_acid = between(0.0, 0.8);
    const double residual_sugar = between(0.8, 12.0);
    const double chlorides = between(0.02, 0.2);
    const double free_so2 = between(3, 60);
    const double density = 0.990 + 0.00045 * residual_sugar + between(-0.002, 0.002);
    const double ph = 3.9 - 0.06 * fixed_acidity + between(-0.15, 0.15);
    const double sulphates = between(0.35, 1.2);
    const double alcohol = between(8.5, 14.5);
    s.features = {fixed_acidity, volatile_acidity, citric_acid, residual_sugar, chlorides,
                  free_so2,      density,          ph,          sulphates,      alcohol};

    // Three tastes in turn: the weights of alcohol, volatile acidity and sulphates drift.
    static const double alcohol_w[] = {0.30, 0.45, 0.20};
    static const double volatile_w[] = {-1.2, -0.6, -2.2};
    static const double sulphate_w[] = {0.8, 1.6, 0.4};
    const std::size_t r = (count_++ / drift_every_) % 3;
    s.quality = 2.2 + alcohol_w[r] * alcohol + volatile_w[r] * volatile_acidity + sulphate_w[r] * sulphates +
                0.25 * citric_acid - 1.5 * chlorides + 0.004 * free_so2 - 0.03 * residual_sugar +
                0.04 * fixed_acidity + 0.25 * normal();
    return s;
}

namespace {
std::string number(double x) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", x);
    return buf;
}
}  // namespace

std::string train_pmml(const std::vector<sample>& window, const std::string& model_name,
                       const std::string& version) {
    const auto& names = feature_names();
    const Eigen::Index n = Eigen::Index(window.size());
    const Eigen::Index p = Eigen::Index(names.size());
    Eigen::MatrixXd x(n, p + 1);
    Eigen::VectorXd y(n);
    for (Eigen::Index i = 0; i < n; ++i) {
        x(i, 0) = 1.0;
        for (Eigen::Index j = 0; j < p; ++j) x(i, j + 1) = window[std::size_t(i)].features[std::size_t(j)];
        y(i) = window[std::size_t(i)].quality;
    }
    const Eigen::VectorXd beta = x.colPivHouseholderQr().solve(y);

    std::ostringstream doc;
    doc << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        << "<PMML xmlns=\"http://www.dmg.org/PMML-4_4\" version=\"4.4\">\n"
        << "  <Header description=\"least squares on " << n << " recent samples\">\n"
        << "    <Application name=\"scorestream wine_serving example\" version=\"" << version << "\"/>\n"
        << "  </Header>\n"
        << "  <DataDictionary numberOfFields=\"" << p + 1 << "\">\n";
    for (const auto& f : names)
        doc << "    <DataField name=\"" << f << "\" optype=\"continuous\" dataType=\"double\"/>\n";
    doc << "    <DataField name=\"quality\" optype=\"continuous\" dataType=\"double\"/>\n"
        << "  </DataDictionary>\n"
        << "  <RegressionModel modelName=\"" << model_name << "\" functionName=\"regression\">\n"
        << "    <MiningSchema>\n";
    for (const auto& f : names) doc << "      <MiningField name=\"" << f << "\"/>\n";
    doc << "      <MiningField name=\"quality\" usageType=\"target\"/>\n"
        << "    </MiningSchema>\n"
        << "    <RegressionTable intercept=\"" << number(beta(0)) << "\">\n";
    for (Eigen::Index j = 0; j < p; ++j)
        doc << "      <NumericPredictor name=\"" << names[std::size_t(j)] << "\" coefficient=\""
            << number(beta(j + 1)) << "\"/>\n";
    doc << "    </RegressionTable>\n"
        << "  </RegressionModel>\n"
        << "</PMML>\n";
    return doc.str();
}

}  // namespace wine
