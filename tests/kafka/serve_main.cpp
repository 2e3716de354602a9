// The serving process of the crash test: the test pipeline (serving.hpp) against --brokers, until
// SIGTERM (clean shutdown: finish, final commit) or SIGKILL (the crash under test).
// --slow-after N: after N results, serve one record every 2 ms (committing as usual), so the test
// can kill it while it is busy, mid-stream, whatever the machine's speed.

#include "serving.hpp"
#include "support/linear_model.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>

namespace {
volatile std::sig_atomic_t stop_requested = 0;
void on_signal(int) { stop_requested = 1; }
}  // namespace

int main(int argc, char** argv) {
    kafka_test::serving_setup s;
    std::uint64_t slow_after = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--brokers")
            s.client.brokers = argv[i + 1];
        else if (a == "--slow-after")
            slow_after = std::strtoull(argv[i + 1], nullptr, 10);
        else {
            std::cerr << "usage: " << argv[0] << " --brokers HOST:PORT [--slow-after N]\n";
            return 2;
        }
    }
    if (s.client.brokers.empty()) {
        std::cerr << "--brokers is required\n";
        return 2;
    }
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    try {
        scorestream::ModelRegistry registry;
        registry.add(std::make_shared<scorestream::testing::linear_factory>());
        auto p = kafka_test::make_serving(s, registry);
        while (!stop_requested) {
            if (slow_after != 0 && p.counters().records_out >= slow_after) {
                p.poll(1);
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
                continue;
            }
            p.poll(64);
        }
        p.finish();
        p.source().close();
        std::cout << "served " << p.counters().records_out << " records\n";
        return 0;
    } catch (const std::exception& e) {
        std::cerr << "scorestream_kafka_serve: " << e.what() << '\n';
        return 1;
    }
}
