#include <catch2/catch.hpp>
#include <scorestream/scorestream.hpp>

#include <string>
#include <vector>

using namespace scorestream;

TEST_CASE("map, filter and sink compose in data-flow order", "[stream][operators]") {
    std::vector<std::string> out;
    auto p = from(std::vector<int>{1, 2, 3, 4, 5, 6})          //
             | filter([](int x) { return x % 2 == 0; })        //
             | map([](int x) { return x * 10; })               //
             | map([](int&& x) { return std::to_string(x); })  //
             | sink([&](const std::string& s) { out.push_back(s); });
    p.run();
    REQUIRE(out == std::vector<std::string>{"20", "40", "60"});
    REQUIRE(p.done());
    REQUIRE(p.counters().records_in == 6);
    REQUIRE(p.counters().filtered == 3);
    REQUIRE(p.counters().records_out == 3);
}

TEST_CASE("poll does a bounded amount of work and returns", "[stream][operators]") {
    int n = 0;
    auto p = from(std::vector<int>(10, 1)) | sink([&](int) { ++n; });
    auto r = p.poll(3);
    REQUIRE(r.records == 3);
    REQUIRE_FALSE(r.done);
    REQUIRE(n == 3);
    r = p.poll(100);
    REQUIRE(r.records == 7);
    REQUIRE(r.done);
    REQUIRE(p.poll(5).done);
    REQUIRE(n == 10);
}

namespace {
struct collecting_sink {
    std::vector<int> seen;
    int flushes = 0;
    void write(int x) { seen.push_back(x); }
    void flush() { ++flushes; }
};

// A source that yields a malformed unit between good ones.
struct flaky_source {
    using value_type = int;
    int i = 0;
    record_error err;
    pull next(int& out) {
        ++i;
        if (i > 5) return pull::end;
        if (i == 3) {
            err = {"flaky", "record 3", "not a number", "x!"};
            return pull::error;
        }
        out = i;
        return pull::item;
    }
    const record_error& error() const { return err; }
};

// A source that has nothing for a while (idle), then items.
struct slow_source {
    using value_type = int;
    int calls = 0;
    record_error err;
    pull next(int& out) {
        ++calls;
        if (calls % 2 == 1) return pull::idle;
        if (calls > 8) return pull::end;
        out = calls;
        return pull::item;
    }
    const record_error& error() const { return err; }
};
}  // namespace

TEST_CASE("a sink object receives write() and a flush at the end", "[stream][operators]") {
    collecting_sink s;
    auto p = from(std::vector<int>{7, 8}) | sink(std::ref(s));
    p.run();
    REQUIRE(s.seen == std::vector<int>{7, 8});
    REQUIRE(s.flushes == 1);
    p.finish();  // idempotent
    REQUIRE(s.flushes == 1);
}

TEST_CASE("source errors reach the error handler, are counted, and the stream goes on",
          "[stream][operators]") {
    std::vector<int> out;
    std::vector<std::string> errors;
    auto p = flaky_source{} | sink([&](int x) { out.push_back(x); });
    p.on_error([&](error_kind k, const record_error& e) {
        REQUIRE(k == error_kind::data_source);
        errors.push_back(e.to_string());
    });
    p.run();
    REQUIRE(out == std::vector<int>{1, 2, 4, 5});
    REQUIRE(errors == std::vector<std::string>{"flaky:record 3: not a number"});
    REQUIRE(p.counters().source_errors == 1);
}

TEST_CASE("an idle source makes poll return early; run waits and finishes", "[stream][operators]") {
    std::vector<int> out;
    auto p = slow_source{} | sink([&](int x) { out.push_back(x); });
    auto r = p.poll(100);
    REQUIRE(r.idle);
    REQUIRE(r.records == 0);
    p.run();
    REQUIRE(out == std::vector<int>{2, 4, 6, 8});
}

TEST_CASE("generate yields until empty", "[stream][operators]") {
    int i = 0;
    std::vector<int> out;
    auto p = generate([&]() -> std::optional<int> {
                 if (i == 4) return std::nullopt;
                 return i++;
             }) |
             sink([&](int x) { out.push_back(x); });
    p.run();
    REQUIRE(out == std::vector<int>{0, 1, 2, 3});
}

TEST_CASE("a throwing error handler does not stop the pipeline", "[stream][operators]") {
    std::vector<int> out;
    auto p = flaky_source{} | sink([&](int x) { out.push_back(x); });
    p.on_error([](error_kind, const record_error&) { throw std::runtime_error("handler bug"); });
    p.run();
    REQUIRE(out.size() == 4);
    REQUIRE(p.counters().source_errors == 1);
}

TEST_CASE("a throwing map, filter or sink skips that record, reports it and goes on", "[stream][operators]") {
    std::vector<int> out;
    std::vector<std::string> errors;
    auto p = from(std::vector<int>{1, 2, 3, 4, 5, 6}) | map([](int x) {
                 if (x == 2) throw std::runtime_error("two");
                 return x;
             }) |
             filter([](int x) {
                 if (x == 4) throw std::runtime_error("four");
                 return true;
             }) |
             sink([&](int x) {
                 if (x == 6) throw std::runtime_error("six");
                 out.push_back(x);
             });
    p.on_error([&](error_kind k, const record_error& e) {
        REQUIRE(k == error_kind::stage);
        errors.push_back(e.to_string());
    });
    p.run();
    REQUIRE(out == std::vector<int>{1, 3, 5});
    REQUIRE(errors == std::vector<std::string>{"map:record 2: threw: two", "filter:record 4: threw: four",
                                               "sink:record 6: threw: six"});
    REQUIRE(p.counters().stage_errors == 3);
    REQUIRE(p.counters().records_out == 3);
}
