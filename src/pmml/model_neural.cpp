// NeuralNetwork (placeholder until implemented): refused at load.

#include "compiler.hpp"

namespace scorestream::pmml::detail {

std::unique_ptr<CompiledModel> compile_neural_network(ModelContext& mc) {
    mc.c.unsupported(mc.node, "NeuralNetwork is not supported yet");
}

}  // namespace scorestream::pmml::detail
