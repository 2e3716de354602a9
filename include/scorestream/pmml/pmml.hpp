#pragma once
// Umbrella header of the PMML evaluator (scorestream::pmml).

#include <scorestream/pmml/factory.hpp>
#include <scorestream/pmml/model.hpp>
