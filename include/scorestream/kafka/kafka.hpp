#pragma once
// Everything of scorestream::kafka: log-centric serving on Kafka topics (see docs/kafka.md).

#include <scorestream/kafka/checkpoint.hpp>
#include <scorestream/kafka/client.hpp>
#include <scorestream/kafka/control_source.hpp>
#include <scorestream/kafka/data_source.hpp>
#include <scorestream/kafka/decoders.hpp>
#include <scorestream/kafka/embedded_cluster.hpp>
#include <scorestream/kafka/offsets.hpp>
#include <scorestream/kafka/publish.hpp>
#include <scorestream/kafka/record.hpp>
#include <scorestream/kafka/sink.hpp>
