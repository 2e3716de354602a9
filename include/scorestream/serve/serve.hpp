#pragma once
// Serving strategies over several member models per data type, composed with the control stream:
//
//     source | join(models, registry, serve::consensus{{"a", "b", "c"}}) | serve::score() | sink(...)
//
// See docs/serve.md. One strategy per header; this one includes them all.

#include <scorestream/serve/ab_split.hpp>
#include <scorestream/serve/best_quality.hpp>
#include <scorestream/serve/consensus.hpp>
#include <scorestream/serve/deadline.hpp>
#include <scorestream/serve/group.hpp>
#include <scorestream/serve/join.hpp>
#include <scorestream/serve/runner.hpp>
#include <scorestream/serve/score.hpp>
#include <scorestream/serve/shadow.hpp>
