// GeneralRegressionModel (placeholder until implemented): refused at load.

#include "compiler.hpp"

namespace scorestream::pmml::detail {

std::unique_ptr<CompiledModel> compile_general_regression_model(ModelContext& mc) {
    mc.c.unsupported(mc.node, "GeneralRegressionModel is not supported yet");
}

}  // namespace scorestream::pmml::detail
