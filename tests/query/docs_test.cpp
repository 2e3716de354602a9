// The snippets of docs/query.md, compiled and run (ctest docs.query_snippets checks they match).
#include <catch2/catch.hpp>
#include <scorestream/query/server.hpp>
#include <scorestream/scorestream.hpp>
#include <stream/records.hpp>
#include <support/linear_model.hpp>

#include <iostream>

using namespace scorestream;
using scorestream::testing::rec;

TEST_CASE("docs/query.md: the server over a pipeline's state, and the handler on its own", "[query][docs]") {
    ModelRegistry registry;
    registry.add(std::make_shared<testing::linear_factory>());
    control_queue<ModelDescriptor> models;
    models.push(testing::linear_descriptor("t", "m", "1", "w x 2\n"));
    auto pipeline = from(std::vector<rec>{{1, "t", 1, 0}, {2, "t", 2, 0}}) | join(models.source(), registry) |
                    score() | sink([](const Scored<rec>&) {});

    // clang-format off
    state_board board;
    pipeline.publish_to(board, {"scoring"});  // snapshots every 10000 records or 100 ms, and at the end

    query::server_options options;
    options.port = 0;                         // 0 (the default): an ephemeral port; or e.g. 9464
    query::server http(board, options);       // listening on 127.0.0.1 once constructed
    std::cout << "state on http://127.0.0.1:" << http.port() << "/models\n";

    pipeline.run();
    http.stop();  // rethrows a failure of the server's thread, if any
    // clang-format on
    REQUIRE(board.latest("scoring")->counters.records_in == 2);
    REQUIRE_FALSE(http.running());

    const query::handler answers(board);
    const query::http_response r = answers.handle("GET", "/metrics");
    // r.status == 200, r.content_type == "text/plain; version=0.0.4; charset=utf-8"
    REQUIRE(r.status == 200);
    REQUIRE(r.content_type == "text/plain; version=0.0.4; charset=utf-8");
    REQUIRE(r.body.find("scorestream_records_in_total{pipeline=\"scoring\"} 2\n") != std::string::npos);
}
