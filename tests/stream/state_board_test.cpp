#include <catch2/catch.hpp>
#include <scorestream/scorestream.hpp>
#include <support/linear_model.hpp>

#include "records.hpp"

#include <atomic>
#include <thread>

using namespace scorestream;
using scorestream::testing::linear_descriptor;
using scorestream::testing::rec;

TEST_CASE("a pipeline publishes snapshots of its counters and stats", "[stream][state]") {
    ModelRegistry reg;
    reg.add(std::make_shared<testing::linear_factory>());
    script<rec, ModelDescriptor> s;
    s.control(linear_descriptor("t", "m", "1", "w x 1\n"));
    for (int i = 0; i < 10; ++i) s.data({i, "t", double(i), 0});
    state_board board;
    publish_options po;
    po.name = "scoring";
    po.every_records = 4;
    po.every = std::chrono::hours(1);
    auto p = s.data_source() | join(s.control_source(), reg) | score() | sink([](const Scored<rec>&) {});
    p.publish_to(board, po);

    REQUIRE(board.latest("scoring") != nullptr);  // published at once: the empty state
    REQUIRE(board.latest("scoring")->counters.records_in == 0);

    p.poll(5);
    auto mid = board.latest("scoring");
    REQUIRE(mid->counters.records_in == 5);
    REQUIRE_FALSE(mid->finished);
    REQUIRE(mid->stats.find("t")->current()->usage == 5);

    p.run();
    auto last = board.latest("scoring");
    REQUIRE(last->finished);
    REQUIRE(last->sequence > mid->sequence);
    REQUIRE(last->counters.records_in == 10);
    REQUIRE(last->stats.find("t")->current()->usage == 10);
    // A snapshot is a copy: the earlier one did not change.
    REQUIRE(mid->stats.find("t")->current()->usage == 5);
    REQUIRE(board.latest("other") == nullptr);
    REQUIRE(board.all().size() == 1);
}

TEST_CASE("readers on other threads never see a torn snapshot", "[stream][state]") {
    state_board board;
    std::atomic<bool> done{false};
    std::atomic<std::uint64_t> checked{0};
    std::atomic<std::uint64_t> torn{0};
    std::thread reader([&] {  // Catch2 assertions are not thread-safe: count, assert later
        // The last read happens after `done` was seen, so it sees at least the final snapshot.
        for (;;) {
            const bool last = done.load();
            for (const auto& snap : board.all()) {
                // Every snapshot is internally consistent: records_out == records_in here.
                if (snap->counters.records_out != snap->counters.records_in) torn.fetch_add(1);
                checked.fetch_add(1);
            }
            if (last) break;
        }
    });
    int n = 0;
    auto p = generate([&]() -> std::optional<int> {
                 if (n == 20000) return std::nullopt;
                 return n++;
             }) |
             sink([](int) {});
    publish_options po;
    po.every_records = 100;
    p.publish_to(board, po);
    while (!p.poll(37).done) {
    }
    done = true;
    reader.join();
    REQUIRE(torn == 0);
    REQUIRE(checked > 0);  // the final snapshot at least
    REQUIRE(board.latest("pipeline")->counters.records_in == 20000);
    REQUIRE(board.latest("pipeline")->finished);
}
