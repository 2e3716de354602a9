#include "link.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace scorestream::pmml::detail {

Normalization parse_normalization(const Compiler& c, pugi::xml_node n, std::string_view name) {
    if (name.empty() || name == "none") return Normalization::none;
    if (name == "softmax") return Normalization::softmax;
    if (name == "simplemax") return Normalization::simplemax;
    if (name == "logit") return Normalization::logit;
    if (name == "probit") return Normalization::probit;
    if (name == "cloglog") return Normalization::cloglog;
    if (name == "loglog") return Normalization::loglog;
    if (name == "cauchit") return Normalization::cauchit;
    if (name == "exp") return Normalization::exp;
    c.invalid(n, "unknown normalizationMethod '" + std::string(name) + "'");
}

double normal_cdf(double x) noexcept { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double normal_pdf(double x) noexcept { return std::exp(-0.5 * x * x) / std::sqrt(2.0 * M_PI); }

namespace {

/// normal_quantile for p in (0, 0.5]: a first guess within 0.003 (Abramowitz and Stegun 26.2.22,
/// in the lower tail), then Halley steps on normal_cdf(x) - p, each of which about triples the
/// correct digits. erfc keeps its relative accuracy far into the lower tail, so the steps end near
/// the last bit; they stop early where the density underflows (p below about 1e-300).
double lower_quantile(double p) noexcept {
    const double t = std::sqrt(-2.0 * std::log(p));
    double x = -(t - (2.30753 + 0.27061 * t) / (1.0 + (0.99229 + 0.04481 * t) * t));
    for (int step = 0; step < 4; ++step) {
        const double density = normal_pdf(x);
        if (!(density > 0)) break;
        const double u = (normal_cdf(x) - p) / density;
        x -= u / (1.0 + 0.5 * x * u);
    }
    return x;
}

}  // namespace

double normal_quantile(double p) noexcept {
    if (!(p >= 0.0 && p <= 1.0)) return std::numeric_limits<double>::quiet_NaN();
    if (p == 0.0) return -HUGE_VAL;
    if (p == 1.0) return HUGE_VAL;
    if (p == 0.5) return 0.0;
    // Above one half, by symmetry: 1 - p is exact there, and the lower tail is where erfc is exact.
    return p < 0.5 ? lower_quantile(p) : -lower_quantile(1.0 - p);
}

double apply_link(Normalization norm, double y) noexcept {
    switch (norm) {
        case Normalization::none:
            return y;
        case Normalization::softmax:
        case Normalization::logit:
            return 1.0 / (1.0 + std::exp(-y));
        case Normalization::simplemax:
            return y;
        case Normalization::probit:
            return normal_cdf(y);
        case Normalization::cloglog:
            return 1.0 - std::exp(-std::exp(y));
        case Normalization::loglog:
            return std::exp(-std::exp(-y));
        case Normalization::cauchit:
            return 0.5 + std::atan(y) / M_PI;
        case Normalization::exp:
            return std::exp(y);
    }
    return y;
}

void normalize_ordinal(Normalization norm, double* ys, std::size_t k) noexcept {
    if (k == 0) return;
    double below = 0.0;  // F of the category before
    for (std::size_t i = 0; i + 1 < k; ++i) {
        const double f =
            norm == Normalization::none ? std::min(std::max(ys[i], 0.0), 1.0) : apply_link(norm, ys[i]);
        ys[i] = f - below;
        below = f;
    }
    ys[k - 1] = 1.0 - below;
}

void normalize_classes_general(Normalization norm, double* ys, std::size_t k) noexcept {
    if (k == 0) return;
    if (norm == Normalization::softmax) {
        // exp(+0) and exp(-0) are exactly 1: a zero score (the reference class of a logistic
        // regression, a table with intercept 0 and no terms) needs no call.
        double sum = 0;
        for (std::size_t i = 0; i < k; ++i) {
            ys[i] = ys[i] == 0.0 ? 1.0 : std::exp(ys[i]);
            sum += ys[i];
        }
        for (std::size_t i = 0; i < k; ++i) ys[i] /= sum;
        return;
    }
    if (norm == Normalization::simplemax) {
        double sum = 0;
        for (std::size_t i = 0; i < k; ++i) sum += ys[i];
        for (std::size_t i = 0; i < k; ++i) ys[i] /= sum;
        return;
    }
    double rest = 1.0;
    for (std::size_t i = 0; i + 1 < k; ++i) {
        ys[i] = apply_link(norm, ys[i]);
        rest -= ys[i];
    }
    ys[k - 1] = rest;
}

}  // namespace scorestream::pmml::detail
