#pragma once
// Everything of scorestream's core in one include: models as data and the stream DSL.

#include <scorestream/error.hpp>
#include <scorestream/model/factory.hpp>
#include <scorestream/model/model.hpp>
#include <scorestream/model/model_store.hpp>
#include <scorestream/model/record.hpp>
#include <scorestream/model/stats.hpp>
#include <scorestream/model/value.hpp>
#include <scorestream/stream/context.hpp>
#include <scorestream/stream/filter.hpp>
#include <scorestream/stream/join.hpp>
#include <scorestream/stream/map.hpp>
#include <scorestream/stream/model_builder.hpp>
#include <scorestream/stream/pipe.hpp>
#include <scorestream/stream/pipeline.hpp>
#include <scorestream/stream/score.hpp>
#include <scorestream/stream/scored.hpp>
#include <scorestream/stream/sink.hpp>
#include <scorestream/stream/source.hpp>
#include <scorestream/stream/sources.hpp>
#include <scorestream/stream/state_board.hpp>
