#pragma once
// Normalization (RegressionModel, NeuralNetwork output layers) and inverse link functions
// (GeneralRegressionModel), shared by the model families.

#include "compiler.hpp"

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
void normalize_classes(Normalization norm, double* ys, std::size_t k) noexcept;

/// Standard normal cumulative distribution function.
double normal_cdf(double x) noexcept;

}  // namespace scorestream::pmml::detail
