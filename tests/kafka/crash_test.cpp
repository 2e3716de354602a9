// kill -9 the serving process mid-stream, restart it, and check that every input record has a
// result (none lost) and that duplicates come only from after the last committed offset.

#include "kafka_test_util.hpp"

#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <set>

extern char** environ;

using namespace kafka_test;

namespace {

pid_t spawn(const std::vector<std::string>& args) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    REQUIRE(posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) == 0);
    return pid;
}

int wait_exit(pid_t pid) {
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return status;
}

}  // namespace

TEST_CASE("kafka: crash: kill -9 mid-stream, restart, nothing lost", "[kafka][crash]") {
    constexpr int records = 4000;
    constexpr int slow_at = 1500;
    constexpr int kill_at = slow_at + 200;  // the rest takes the child at least 2 ms per record
    scorestream::kafka::embedded_cluster cluster;
    for (const char* t : {"data", "results"}) cluster.create_topic(t, 2);
    for (const char* t : {"models", "dead-letters"}) cluster.create_topic(t, 1);
    const auto c = cluster.client();
    produce(c, "models", {{"t", linear_descriptor("t", "1", 0)}});
    produce(c, "data", csv_records(0, records));

    topic_reader results(c, "results", 2);
    const std::string serve = SCORESTREAM_KAFKA_SERVE;

    // First life: serves fast, then slowly from slow_at on; killed while busy.
    pid_t first =
        spawn({serve, "--brokers", cluster.bootstrap_servers(), "--slow-after", std::to_string(slow_at)});
    const bool reached = wait_until([&] {
        results.poll_for(50);
        return results.messages.size() >= std::size_t(kill_at);
    });
    REQUIRE(::kill(first, SIGKILL) == 0);
    const int st = wait_exit(first);
    REQUIRE(reached);
    CHECK(WIFSIGNALED(st));
    std::map<int, std::int64_t> committed_at_kill;
    for (int p = 0; p < 2; ++p) committed_at_kill[p] = committed(c, "scorers", "data", p);
    std::int64_t committed_total = 0;
    for (const auto& [p, o] : committed_at_kill) committed_total += std::max<std::int64_t>(o, 0);
    CHECK(committed_total < records);  // the kill landed mid-stream
    INFO("committed at kill: " << committed_total);

    // Second life: resumes from the committed offsets; stopped cleanly once everything is served.
    pid_t second = spawn({serve, "--brokers", cluster.bootstrap_servers()});
    std::set<std::string> seen;
    const bool complete = wait_until(
        [&] {
            results.poll_for(200);
            seen.clear();
            for (const auto& m : results.messages) {
                scorestream::proto::ScoredResult r;
                if (r.ParseFromString(m.payload)) seen.insert(r.record_key());
            }
            return seen.size() >= std::size_t(records);
        },
        std::chrono::seconds(120));
    REQUIRE(::kill(second, SIGTERM) == 0);
    const int st2 = wait_exit(second);
    CHECK(WIFEXITED(st2));
    CHECK(WEXITSTATUS(st2) == 0);
    REQUIRE(complete);

    // No input offset without a result.
    std::set<std::string> expected;
    for (const auto& m : read_topic(c, "data", records)) expected.insert(m.id());
    REQUIRE(expected.size() == std::size_t(records));
    CHECK(seen == expected);

    // Duplicates: only records at or after the committed position at the kill were served twice.
    results.poll_for(500);
    std::map<std::string, int> count;
    for (const auto& m : results.messages) {
        scorestream::proto::ScoredResult r;
        REQUIRE(r.ParseFromString(m.payload));
        ++count[r.record_key()];
    }
    std::size_t duplicates = 0;
    for (const auto& [id, n] : count) {
        if (n < 2) continue;
        duplicates += std::size_t(n - 1);
        const auto slash1 = id.find('/');
        const auto slash2 = id.find('/', slash1 + 1);
        const int part = std::stoi(id.substr(slash1 + 1, slash2 - slash1 - 1));
        const std::int64_t offset = std::stoll(id.substr(slash2 + 1));
        CHECK(offset >= committed_at_kill[part]);
    }
    WARN("crash test: " << records << " records, " << results.messages.size() << " results, " << duplicates
                        << " duplicates (committed at kill: " << committed_total << ")");
}
