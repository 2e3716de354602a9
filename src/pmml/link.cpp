#include "link.hpp"

#include <cmath>

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
