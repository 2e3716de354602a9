#pragma once
// Normalization (RegressionModel, NeuralNetwork output layers) and inverse link functions
// (GeneralRegressionModel), shared by the model families.

#include "compiler.hpp"

#include <cmath>
#include <cstddef>
#include <string_view>

namespace scorestream::pmml::detail {

enum class Normalization : std::uint8_t {
    none,
    softmax,
    simplemax,
    logit,
    probit,
    cloglog,
    loglog,
    cauchit,
    exp
};

Normalization parse_normalization(const Compiler& c, pugi::xml_node n, std::string_view name);

/// The single-value form of a normalization (regression, or one class score).
double apply_link(Normalization norm, double y) noexcept;

/// Turns k class scores into probabilities in place: softmax and simplemax over all classes;
/// otherwise the function on every class but the last, and the last gets the rest of 1.
void normalize_classes_general(Normalization norm, double* ys, std::size_t k) noexcept;

/// normalize_classes_general, with the softmax of two classes (a logistic regression) inline.
inline void normalize_classes(Normalization norm, double* ys, std::size_t k) noexcept {
    if (norm == Normalization::softmax && k == 2) {
        // The same operations as the loop: exp(+-0) is exactly 1, and the loop's sum 0 + a + b is
        // a + b bit for bit, a being +0 or more (or a NaN, which 0 + a keeps as it is).
        double a = ys[0] == 0.0 ? 1.0 : std::exp(ys[0]);
        double b = ys[1] == 0.0 ? 1.0 : std::exp(ys[1]);
        double sum = a + b;
        ys[0] = a / sum;
        ys[1] = b / sum;
        return;
    }
    normalize_classes_general(norm, ys, k);
}

/// Turns the k class scores of an ordinal target, in the order of its categories (the
/// RegressionTables'), into probabilities: each score but the last is a cumulative probability
/// F_j (the link function; `none` holds it to [0, 1]), p_1 = F_1, p_j = F_j - F_(j-1), and the
/// last gets 1 - F_(k-1). For none, logit, probit, cloglog, loglog and cauchit.
void normalize_ordinal(Normalization norm, double* ys, std::size_t k) noexcept;
/// Standard normal cumulative distribution function.
double normal_cdf(double x) noexcept;
/// Standard normal density.
double normal_pdf(double x) noexcept;
/// The standard normal quantile (inverse of normal_cdf): -inf at 0, +inf at 1, NaN outside [0, 1].
double normal_quantile(double p) noexcept;

}  // namespace scorestream::pmml::detail
