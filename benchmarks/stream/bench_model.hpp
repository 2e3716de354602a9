#pragma once
// The trivial model of the DSL benchmark, compiled in its own translation unit: like a PMML or
// user model, its score() is opaque to the loops that call it, so neither the pipeline nor the
// hand-written loop can inline or devirtualize it.
#include <scorestream/model/factory.hpp>

#include <memory>

namespace bench {
/// A factory of "weighted sum" models: bias + sum(weight * input); type "weighted_sum".
std::shared_ptr<const scorestream::ModelFactory> weighted_sum_factory();
/// A descriptor of such a model: bias 3, acidity * -0.2, alcohol * 0.35.
scorestream::ModelDescriptor weighted_sum_descriptor(const std::string& data_type);
}  // namespace bench
